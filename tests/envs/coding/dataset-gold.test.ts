// The committed dataset through the env's own sandbox and verification, in real Docker: for the
// first task of each repository (every task with PHYSARUM_CODING_GOLD_ALL=1), the gold patch,
// applied in the agent's sandbox as an agent would, resolves; the empty patch does not, and its
// FAIL_TO_PASS tests fail while PASS_TO_PASS pass.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envSandboxes, type EnvSandboxes } from '../../../src/rollout/env-sandboxes.ts';
import { buildEnvImage, reapSandboxes } from '../../../sandboxes/index.ts';
import { readInstances, type SweBenchInstance } from '../../../envs/coding/dataset.ts';
import { CodingEnv } from '../../../envs/coding/index.ts';
import { CODING_IMAGE } from '../../../envs/coding/sandbox-spec.ts';
import { verify, type Verdict } from '../../../envs/coding/verify.ts';
import { docker } from '../../sandboxes/fixtures/pool.ts';

const all = readInstances(path.resolve(import.meta.dirname, '../../../envs/coding/data/tasks.jsonl'));
const tasks = process.env.PHYSARUM_CODING_GOLD_ALL ? all : all.filter((t, i) => all.findIndex((u) => u.repo === t.repo) === i);
const env = new CodingEnv();
const runId = `test-coding-gold-${randomUUID().slice(0, 8)}`;
let sandboxes: EnvSandboxes;

beforeAll(async () => {
  await buildEnvImage(docker, CODING_IMAGE);
  sandboxes = (await envSandboxes(env, { runId, reapIntervalMs: 0 })) as EnvSandboxes;
}, 900_000);
afterAll(async () => {
  await sandboxes?.close();
  await reapSandboxes(docker, { runId });
});

async function verdictOf(task: SweBenchInstance, patch: string | undefined): Promise<Verdict> {
  const signal = AbortSignal.timeout(240_000);
  const { sandbox, release } = await sandboxes.lease(signal, task);
  try {
    if (patch) {
      const applied = await sandbox.exec(['git', 'apply', '-'], { stdin: patch, signal });
      expect(applied.stderr).toBe('');
    }
    await sandbox.finalize({ signal });
    return await verify({
      task, agent: sandbox, openRoom: () => sandboxes.pool.verificationRoom(sandbox, { signal }), tree: await env.treeOf(task), options: env.options, signal,
    });
  } finally {
    await release();
  }
}

describe('envs/coding: the dataset\'s gold patches', () => {
  it('has tasks to check', () => expect(tasks.length).toBeGreaterThan(0));

  for (const task of tasks) {
    it(`${task.instance_id}: gold resolves, the empty patch does not`, async () => {
      const [gold, empty] = await Promise.all([verdictOf(task, task.patch), verdictOf(task, undefined)]);
      expect(gold, gold.reason).toMatchObject({ resolved: true, passedFraction: 1, dropped: [] });
      expect(empty.resolved).toBe(false);
      for (const id of task.FAIL_TO_PASS) expect(empty.outcomes[id], id).not.toBe('passed');
      for (const id of task.PASS_TO_PASS) expect(empty.outcomes[id], id).toBe('passed');
    }, 300_000);
  }
});
