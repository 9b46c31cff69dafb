/**
 * Writes the search env's data, deterministic for a seed:
 *   corpus.jsonl     the articles (one { id, title, text } per line)
 *   data.jsonl       training questions;  held-out.jsonl  questions kept for evaluation
 *   scripted.json    a scripted policy for the first 24 training questions (wrong on every fourth)
 *   validate.json    the cases `physarum validate envs/search` replays
 *
 *   npx tsx envs/search/generate.ts [--seed 13] [--train 320] [--held-out 80] [--out envs/search]
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { InvalidInputError } from '../../src/index.ts';
import { writeDocuments, type SearchDocument } from './documents.ts';
import { candidateQuestions, needsBothDocuments } from './questions.ts';
import type { SearchTask } from './task.ts';
import { Draw, generateWorld } from './world.ts';

export interface Generated {
  documents: SearchDocument[];
  train: SearchTask[];
  heldOut: SearchTask[];
}

export function generate(seed: number, trainCount: number, heldOutCount: number): Generated {
  const world = generateWorld(seed);
  const documents = writeDocuments(world, seed);
  const byId = new Map(documents.map((doc) => [doc.id, doc]));
  const kept = candidateQuestions(world).filter((draft) => needsBothDocuments(draft, byId));
  if (kept.length < trainCount + heldOutCount) throw new InvalidInputError(`--train + --held-out: the world has only ${kept.length} two-hop questions, asked for ${trainCount + heldOutCount}`);
  const chosen = new Draw(seed + 1).shuffle(kept).slice(0, trainCount + heldOutCount);
  const tasks = chosen.map((draft, i): SearchTask => ({ id: `q${String(i + 1).padStart(4, '0')}`, ...draft }));
  return { documents, train: tasks.slice(0, trainCount), heldOut: tasks.slice(trainCount) };
}

/** A Hermes tool call laid out as the Qwen3 template re-renders it (json.dumps spacing), so history stays append-only. */
function call(thought: string, name: string, args: Record<string, string>): string {
  const body = Object.entries(args).map(([key, value]) => `${JSON.stringify(key)}: ${JSON.stringify(value)}`).join(', ');
  return `<think>\n${thought}\n</think>\n\n<tool_call>\n{"name": ${JSON.stringify(name)}, "arguments": {${body}}}\n</tool_call>`;
}

/** The two-hop solution: find and read the first article, then the linked one, then answer. */
export function goldTurns(task: SearchTask, titleOf: (id: string) => string, answer = task.answers[0]!): string[] {
  const first = titleOf(task.hops[0]);
  return [
    call(`I should look up ${first} first.`, 'search', { query: first }),
    call(`The article on ${first} is [${task.hops[0]}].`, 'open', { id: task.hops[0] }),
    call(`The article links to ${task.bridge}; I need that article next.`, 'search', { query: task.bridge }),
    call(`The article on ${task.bridge} is [${task.hops[1]}].`, 'open', { id: task.hops[1] }),
    call(`The answer is ${answer}.`, 'answer', { answer }),
  ];
}

function validateCases(data: Generated, titleOf: (id: string) => string): unknown {
  const byType = (tasks: SearchTask[], type: string): SearchTask => tasks.find((t) => t.type === type)!;
  const birthplace = byType(data.train, 'founder_birthplace');
  const river = byType(data.train, 'headquarters_river');
  const heldOut = data.heldOut[0]!;
  const other = data.documents.find((d) => d.title !== birthplace.answers[0] && /is a city in/.test(d.text))!.title;
  const episode = (turns: string[]) => [{ task: '', turns }];
  const lastTurn = (turn: string) => goldTurns(birthplace, titleOf).slice(0, 4).concat(turn);
  return {
    cases: [
      { name: 'gold: two searches, two articles, the answer', task: birthplace, episodes: episode(goldTurns(birthplace, titleOf)), expect: { reward: 1 } },
      { name: "gold: a river's short name is an alias", task: river, episodes: episode(goldTurns(river, titleOf, river.answers.at(-1))), expect: { reward: 1 } },
      { name: 'gold on a held-out question', task: heldOut, episodes: episode(goldTurns(heldOut, titleOf)), expect: { reward: 1 } },
      { name: 'wrong: answers with the bridge entity', task: birthplace, episodes: episode(lastTurn(call('The founder.', 'answer', { answer: birthplace.bridge }))), expect: { reward: 0 } },
      {
        name: 'hedged: two candidates (F1 0.5, no reward)', task: birthplace,
        episodes: episode(lastTurn(call('One of two.', 'answer', { answer: `${birthplace.answers[0]} or ${other}` }))), expect: { reward: 0 },
      },
      { name: 'guesses without reading', task: birthplace, episodes: episode([call('A guess.', 'answer', { answer: other })]), expect: { reward: 0 } },
      {
        name: 'never answers: truncated at the turn limit', task: birthplace,
        episodes: episode(Array.from({ length: 10 }, () => call('Search again.', 'search', { query: birthplace.bridge }))), expect: { status: 'truncated' },
      },
    ],
  };
}

function jsonl(rows: readonly unknown[]): string {
  return rows.map((row) => JSON.stringify(row)).join('\n') + '\n';
}

function main(): void {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '13' },
      train: { type: 'string', default: '320' },
      'held-out': { type: 'string', default: '80' },
      out: { type: 'string', default: path.dirname(new URL(import.meta.url).pathname) },
    },
  });
  const data = generate(Number(values.seed), Number(values.train), Number(values['held-out']));
  const titles = new Map(data.documents.map((doc) => [doc.id, doc.title]));
  const titleOf = (id: string): string => titles.get(id)!;
  const out = values.out;
  writeFileSync(path.join(out, 'corpus.jsonl'), jsonl(data.documents));
  writeFileSync(path.join(out, 'data.jsonl'), jsonl(data.train));
  writeFileSync(path.join(out, 'held-out.jsonl'), jsonl(data.heldOut));
  // The question text identifies the task in the prompt; every fourth answers the bridge entity.
  const episodes = data.train.slice(0, 24).map((task, i) => {
    const turns = goldTurns(task, titleOf);
    if (i % 4 === 3) turns[4] = call('I think it is this.', 'answer', { answer: task.bridge });
    return { task: task.question, turns };
  });
  writeFileSync(path.join(out, 'scripted.json'), JSON.stringify({ episodes }, null, 1) + '\n');
  writeFileSync(path.join(out, 'validate.json'), JSON.stringify(validateCases(data, titleOf), null, 1) + '\n');
  console.log(`search: ${data.documents.length} articles, ${data.train.length} training and ${data.heldOut.length} held-out questions -> ${out}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) main();
