// Leak-proofing and typed infrastructure failures: an owner killed by SIGKILL leaves nothing
// behind after the next start; the reaper removes dead-owner and expired containers only;
// an absent Docker daemon and a create timeout fail typed, without leftovers.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { baseImageTag, reapSandboxes, SandboxPool, SANDBOX_LABELS } from '../../sandboxes/index.ts';
import { ownerStartTime } from '../../sandboxes/reaper.ts';
import { readFileSync } from 'node:fs';
import { containersOfRun, docker, eventually, testPools } from './fixtures/pool.ts';
import { hostname } from 'node:os';

const newPool = testPools('leak');
const root = path.resolve(import.meta.dirname, '../..');

function startOwner(runId: string): Promise<{ pid: number; ids: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/sandboxes/fixtures/leaky-owner.ts', runId], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /ready (\S+) (\S+)/.exec(out);
      if (m) resolve({ pid: child.pid!, ids: [m[1]!, m[2]!] });
    });
    child.on('exit', (code) => reject(new Error(`owner exited early (${code}): ${out}`)));
  });
}

function labelled(runId: string, ownerPid: number, expires: number): Docker.ContainerCreateOptions {
  return {
    Image: baseImageTag(),
    Cmd: ['sleep', 'infinity'],
    Labels: {
      [SANDBOX_LABELS.sandbox]: '1', [SANDBOX_LABELS.run]: runId, [SANDBOX_LABELS.ownerPid]: String(ownerPid),
      [SANDBOX_LABELS.ownerHost]: hostname(), [SANDBOX_LABELS.expires]: String(expires),
    },
    HostConfig: { NetworkMode: 'none' },
  };
}

describe('leak-proof cleanup', () => {
  it('leaves no sandbox of an orchestrator killed by SIGKILL once the next pool starts', async () => {
    const runId = `test-leak-${randomUUID().slice(0, 8)}`;
    const owner = await startOwner(runId);
    expect((await containersOfRun(runId)).length).toBe(4); // two handed out + one warm per spec
    process.kill(owner.pid, 'SIGKILL');
    const next = newPool();
    await next.acquire({}); // a start: reaps before it creates
    expect(await eventually(async () => (await containersOfRun(runId)).length === 0)).toBe(true);
  });

  it('counts a zombie owner (killed, not yet collected by its parent) as dead', async () => {
    // `sleep 1` becomes a child of the process that then execs `sleep 30`, which never waits on it.
    const parent = spawn('sh', ['-c', 'sleep 1 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number(await new Promise<string>((resolve) => parent.stdout.setEncoding('utf8').once('data', resolve)));
      expect(ownerStartTime(pid)).toBeDefined();
      expect(await eventually(async () => / Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')))).toBe(true);
      expect(ownerStartTime(pid)).toBeUndefined();
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('reaps containers of dead owners and expired ones, and spares live, unexpired ones', async () => {
    const dead = spawn('true');
    await new Promise((r) => dead.on('exit', r));
    const tag = randomUUID().slice(0, 8);
    const made = await Promise.all([
      docker.createContainer(labelled(`test-leak-dead-${tag}`, dead.pid!, Date.now() + 3_600_000)),
      docker.createContainer(labelled(`test-leak-expired-${tag}`, process.pid, Date.now() - 1000)),
      docker.createContainer(labelled(`test-leak-alive-${tag}`, process.pid, Date.now() + 3_600_000)),
    ]);
    try {
      await Promise.all(made.map((c) => c.start()));
      const removed = await reapSandboxes(docker);
      // Other test files run pools at the same time, and every pool reaps at start-up with this same
      // reaper: the dead and expired containers may be gone by another's hand. What must hold is the
      // state after a reap, and that no reaper took the live one.
      expect(removed).not.toContain(made[2]!.id);
      // (eventually: another reaper's removal may still be under way)
      const gone = async (runId: string): Promise<boolean> => (await containersOfRun(runId)).length === 0;
      expect(await eventually(() => gone(`test-leak-dead-${tag}`))).toBe(true);
      expect(await eventually(() => gone(`test-leak-expired-${tag}`))).toBe(true);
      expect((await containersOfRun(`test-leak-alive-${tag}`)).length).toBe(1);
    } finally {
      await Promise.all(made.map((c) => c.remove({ force: true }).catch(() => undefined)));
    }
  });
});

describe('typed infrastructure failures', () => {
  it('fails with docker_unavailable when no Docker daemon answers (naming the cause)', async () => {
    const pool = new SandboxPool({ docker: new Docker({ socketPath: '/nonexistent/docker.sock' }), reapIntervalMs: 0, createRetries: 0 });
    const err = await pool.acquire({}).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'docker_unavailable', code: 'PHYSARUM_SANDBOX_DOCKER_UNAVAILABLE', isRetryable: true });
    expect((err as Error).message).toMatch(/ENOENT|did not answer/);
  });

  it('follows DOCKER_HOST to the Docker daemon it names', async () => {
    const saved = process.env.DOCKER_HOST;
    try {
      process.env.DOCKER_HOST = 'tcp://127.0.0.1:9';
      const err = await new SandboxPool({ reapIntervalMs: 0 }).acquire({}).catch((e: unknown) => e);
      expect(err).toMatchObject({ reason: 'docker_unavailable' });
      expect((err as Error).message).toContain('tcp://127.0.0.1:9');
      process.env.DOCKER_HOST = 'unix:///var/run/docker.sock';
      const pool = newPool();
      await using sb = await pool.acquire({});
      expect((await sb.exec('echo via DOCKER_HOST')).stdout).toBe('via DOCKER_HOST\n');
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });

  it('fails with create_timeout and leaves no container behind', async () => {
    const pool = newPool({ createTimeoutMs: 5, createRetries: 1 });
    await pool.prewarm({}, { count: 0 }); // image resolution and reaping happen outside the create timeout
    await expect(pool.acquire({})).rejects.toMatchObject({ reason: 'create_timeout', code: 'PHYSARUM_SANDBOX_TIMEOUT' });
    expect(pool.stats()).toMatchObject({ createRetries: 1, created: 0 });
    expect(await eventually(async () => (await containersOfRun(pool.runId)).length === 0)).toBe(true);
  });

  it('aborts an acquire by signal', async () => {
    const pool = newPool();
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(pool.acquire({}, { signal: ac.signal })).rejects.toMatchObject({ code: 'PHYSARUM_ABORTED' });
  });
});
