/**
 * Seeded data for the addition env: disjoint train and held-out pairs, plus the SFT
 * conversations (prompt and the correct sum) for the warm start.
 *
 *   npx tsx envs/addition/generate.ts [--seed 7] [--heldout 128] [--out envs/addition]
 *
 * Deterministic for a seed: all 10,000 pairs (a, b) in 0..99 are shuffled once, the first
 * `heldout` become held-out.jsonl and the rest train.jsonl and sft.jsonl.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { seededPermutation } from '../../src/rollout/seeded-shuffle.ts';
import { additionPrompt, type AdditionTask } from './index.ts';

export function splitPairs(seed: number, heldOut: number): { train: AdditionTask[]; heldOut: AdditionTask[] } {
  const order = seededPermutation(100 * 100, seed);
  const pairs = order.map((i) => ({ a: Math.floor(i / 100), b: i % 100 }));
  return { heldOut: pairs.slice(0, heldOut), train: pairs.slice(heldOut) };
}

export function sftConversation(task: AdditionTask): { messages: Array<{ role: string; content: string }> } {
  return { messages: [{ role: 'user', content: additionPrompt(task) }, { role: 'assistant', content: String(task.a + task.b) }] };
}

const jsonl = (rows: unknown[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { seed: { type: 'string', default: '7' }, heldout: { type: 'string', default: '128' }, out: { type: 'string', default: 'envs/addition' } },
  });
  const { train, heldOut } = splitPairs(Number(values.seed), Number(values.heldout));
  writeFileSync(path.join(values.out, 'train.jsonl'), jsonl(train));
  writeFileSync(path.join(values.out, 'held-out.jsonl'), jsonl(heldOut));
  writeFileSync(path.join(values.out, 'sft.jsonl'), jsonl(train.map(sftConversation)));
  console.log(`addition: ${train.length} train, ${heldOut.length} held-out, ${train.length} SFT conversations (seed ${values.seed}) -> ${values.out}`);
}
