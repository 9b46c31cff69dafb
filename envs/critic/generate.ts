/**
 * Generates the solver/critic word problems and a scripted policy that plays both roles.
 *
 *   npx tsx envs/critic/generate.ts [--count 300] [--seed 5] [--out envs/critic/data.jsonl]
 *                                   [--script envs/critic/scripted.json]
 *
 * Deterministic for a seed. The scripted solver slips on every third problem; the scripted critic
 * makes the right call except on every fifth; a sent-back answer is revised to the right one. So
 * rewards vary for both roles.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { mulberry32 } from '../../src/rollout/seeded-shuffle.ts';
import type { CriticTask } from './index.ts';
import { makeProblem } from './problems.ts';

// An empty reasoning block, as Qwen3 writes with thinking on: filled ones would be dropped from
// history by the template and fork the solver's sample at its revision.
export const solverReply = (answer: number): string => `<think>\n\n</think>\n\nI work it out step by step.\nAnswer: ${answer}`;
export const criticReply = (verdict: 'accept' | 'revise'): string =>
  `<think>\n\n</think>\n\n${verdict === 'accept' ? 'The arithmetic checks out.' : 'One of the steps is off; recount.'}\nVerdict: ${verdict}`;

/** Both roles' scripted turns for one problem. */
export function scriptedTurns(task: CriticTask, slip: boolean, wrongCall: boolean): { solver: string[]; critic: string[] } {
  const first = slip ? task.slip! : task.answer;
  const rightCall = slip ? 'revise' : 'accept';
  const verdict = wrongCall ? (rightCall === 'accept' ? 'revise' : 'accept') : rightCall;
  const solver = [solverReply(first)];
  if (verdict === 'revise') solver.push(solverReply(task.answer));
  return { solver, critic: [criticReply(verdict)] };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '300' },
      seed: { type: 'string', default: '5' },
      out: { type: 'string', default: 'envs/critic/data.jsonl' },
      script: { type: 'string', default: 'envs/critic/scripted.json' },
    },
  });
  const rand = mulberry32(Number(values.seed));
  const tasks: CriticTask[] = Array.from({ length: Number(values.count) }, (_, i) => ({ id: `cr-${String(i).padStart(4, '0')}`, ...makeProblem(rand) }));
  writeFileSync(values.out, tasks.map((t) => JSON.stringify(t)).join('\n') + '\n');
  const episodes = tasks.flatMap((task, i) => {
    const turns = scriptedTurns(task, i % 3 === 2, i % 5 === 4);
    return (['solver', 'critic'] as const).map((role) => ({ task: `Problem ${task.id}:`, role, turns: turns[role] }));
  });
  writeFileSync(values.script, JSON.stringify({ episodes }, null, 1) + '\n');
  console.log(`wrote ${tasks.length} problems to ${values.out} and their scripted policy to ${values.script}`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
