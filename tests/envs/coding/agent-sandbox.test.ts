// What the agent finds in its sandbox, searched for as an agent would (its bash tool): the
// repository at base_commit with no future (no other commit, ref, remote, reflog, stash or
// dangling object), the gold patch nowhere, hidden tests nowhere; visible tests uncommitted.
// And the G copies of one group start from one prepared sandbox.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envSandboxes, type EnvSandboxes } from '../../../src/rollout/env-sandboxes.ts';
import { buildEnvImage, reapSandboxes, type Sandbox } from '../../../sandboxes/index.ts';
import { CodingEnv } from '../../../envs/coding/index.ts';
import { CODING_IMAGE } from '../../../envs/coding/sandbox-spec.ts';
import { docker } from '../../sandboxes/fixtures/pool.ts';
import { agent } from '../../security/fixtures.ts';
import { FIXTURE_REPOS, GOLD_LINE, gaugeInstance } from './fixture.ts';

const task = gaugeInstance();
const runIds: string[] = [];
const opened: EnvSandboxes[] = [];

async function sandboxesOf(env: CodingEnv): Promise<EnvSandboxes> {
  const runId = `test-coding-sb-${randomUUID().slice(0, 8)}`;
  runIds.push(runId);
  const sandboxes = (await envSandboxes(env, { runId, reapIntervalMs: 0 })) as EnvSandboxes;
  opened.push(sandboxes);
  return sandboxes;
}

beforeAll(() => buildEnvImage(docker, CODING_IMAGE).then(() => undefined), 900_000);
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  await Promise.all(runIds.map((runId) => reapSandboxes(docker, { runId })));
});

/** Searches every file the agent may read for each needle; returns the files that hold one. */
async function search(sandbox: Sandbox, needles: string[]): Promise<string> {
  const patterns = needles.map((n) => `-e '${n.trim()}'`).join(' ');
  // grep exits 2 on the files the agent may not read; what it prints is what it found.
  return agent(sandbox).bash(`grep -rlsF ${patterns} / --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev; env | grep -F ${patterns}; echo end`, 110);
}

describe('envs/coding: the agent\'s sandbox', () => {
  it('holds the repository at base_commit and nothing of its future: git log --all, reflog, fsck, refs, remotes, stash', async () => {
    const sandboxes = await sandboxesOf(new CodingEnv({ reposDir: FIXTURE_REPOS, tests: 'hidden' }));
    const { sandbox, release } = await sandboxes.lease(AbortSignal.timeout(120_000), task);
    try {
      const hands = agent(sandbox);
      expect(await hands.bash('git rev-parse HEAD && git log --all --format=%H')).toBe(`${task.base_commit}\n${task.base_commit}`);
      expect(await hands.bash('git reflog; git stash list; git remote -v; echo end')).toBe('end');
      expect(await hands.bash('git for-each-ref --format="%(refname)"')).toBe('refs/heads/main');
      expect(await hands.bash('git fsck --lost-found --unreachable --no-reflogs 2>&1; git status --porcelain; echo end')).toBe('end');
      // Every object in the repository is one the base commit reaches.
      const all = await hands.bash('git cat-file --batch-all-objects --batch-check="%(objectname)" | sort');
      const reachable = await hands.bash('git rev-list --objects --all | cut -d" " -f1 | sort');
      expect(all).toBe(reachable);
      expect(all.split('\n').length).toBeGreaterThan(3);
    } finally {
      await release();
    }
  });

  it('hidden tests: neither the gold fix nor the tests are in any file the agent can read, nor in its environment', async () => {
    const sandboxes = await sandboxesOf(new CodingEnv({ reposDir: FIXTURE_REPOS, tests: 'hidden' }));
    const { sandbox, release } = await sandboxes.lease(AbortSignal.timeout(120_000), task);
    try {
      expect(await agent(sandbox).bash('ls; test -e tests && echo has-tests; echo end')).toBe('gauge\nend');
      // The search itself works: the base tree's own code is found.
      expect(await search(sandbox, ['return floor_value'])).toBe('/workspace/gauge/readings.py\nend');
      expect(await search(sandbox, [GOLD_LINE, 'test_clamp_reading_above_ceiling', 'clamp_reading(15, 0, 10)'])).toBe('end');
    } finally {
      await release();
    }
  });

  it('visible tests: in the working tree, uncommitted (HEAD stays base_commit); the gold fix still nowhere', async () => {
    const sandboxes = await sandboxesOf(new CodingEnv({ reposDir: FIXTURE_REPOS, tests: 'visible' }));
    const { sandbox, release } = await sandboxes.lease(AbortSignal.timeout(120_000), task);
    try {
      const hands = agent(sandbox);
      expect(await hands.bash('git rev-parse HEAD; git status --porcelain --untracked-files=all')).toBe(`${task.base_commit}\n?? tests/test_readings.py`);
      expect(await hands.bash('python3 -m pytest -q tests 2>&1 | tail -1')).toMatch(/1 failed, 4 passed/);
      expect(await search(sandbox, [GOLD_LINE])).toBe('end');
    } finally {
      await release();
    }
  });

  it('a group of 3 is prepared once and forked: each copy at base_commit with the tests, and isolated', async () => {
    const env = new CodingEnv({ reposDir: FIXTURE_REPOS });
    let prepared = 0;
    const setup = env.setupSandbox.bind(env);
    env.setupSandbox = async (...args) => {
      prepared += 1;
      await setup(...args);
    };
    const sandboxes = await sandboxesOf(env);
    const group = sandboxes.forGroup!(3);
    const signal = AbortSignal.timeout(180_000);
    const leases = await Promise.all([0, 1, 2].map(() => group.lease(signal, task)));
    try {
      expect(prepared).toBe(1);
      await agent(leases[0]!.sandbox).bash('echo "# mine" >> gauge/readings.py');
      for (const [i, lease] of leases.entries()) {
        const status = await agent(lease.sandbox).bash('git rev-parse HEAD; git status --porcelain --untracked-files=all');
        expect(status).toBe(`${task.base_commit}\n${i === 0 ? ' M gauge/readings.py\n' : ''}?? tests/test_readings.py`);
      }
    } finally {
      await Promise.all(leases.map((l) => l.release()));
      await group.close();
    }
  });

  it('a verification room of the task has no network and none of the agent\'s files, before the env builds base_commit in it', async () => {
    const sandboxes = await sandboxesOf(new CodingEnv({ reposDir: FIXTURE_REPOS }));
    const signal = AbortSignal.timeout(120_000);
    const { sandbox, release, verificationRoom } = await sandboxes.lease(signal, task);
    try {
      expect(sandbox.spec.network).toBe(false);
      await agent(sandbox).bash('echo mine > note.txt && echo "# edited" >> gauge/readings.py');
      await sandbox.finalize({ signal });
      const room = await verificationRoom!(signal);
      try {
        expect(room.sandbox.spec.network).toBe(false);
        const ls = await room.sandbox.exec('ls -A; echo end');
        expect(ls.stdout).toBe('end\n'); // an empty workdir: the env builds base_commit there itself
        const net = await room.sandbox.exec(['python3', '-c', 'import socket; socket.create_connection(("1.1.1.1", 80), timeout=3)']);
        expect(net.exitCode).not.toBe(0);
        expect(net.stderr).toMatch(/unreachable|OSError/i);
      } finally {
        await room.release();
      }
    } finally {
      await release();
    }
  });
});
