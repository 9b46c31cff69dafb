// Lifecycle against the real Docker daemon: acquire → exec/files → finalize → destroy, the warm
// pool, streaming, caps, timeouts, and the typed failures of a sandbox that dies under us.
import pLimit, { type LimitFunction } from 'p-limit';
import { describe, expect, it } from 'vitest';
import { AbortedError } from '../../src/protocol/errors.ts';
import { SandboxError, SandboxFileError, type Sandbox } from '../../sandboxes/index.ts';
import { containersOfRun, docker, eventually, testPools } from './fixtures/pool.ts';

const newPool = testPools('lifecycle');

/** Live `sleep` processes in the sandbox (the base image has no procps: read /proc). */
async function countSleeps(sb: Sandbox): Promise<number> {
  const r = await sb.exec('n=0; for f in /proc/[0-9]*/stat; do read -r s < "$f" 2>/dev/null || continue; case "$s" in *"(sleep) "[!Z]*) n=$((n+1));; esac; done; echo $n');
  return Number(r.stdout.trim());
}

describe('sandbox exec', () => {
  const pool = newPool();

  it('runs as the non-root sandbox user in the workdir, with exit code, stdout and stderr apart', async () => {
    await using sb = await pool.acquire({});
    const r = await sb.exec('echo out; echo err >&2; id -u; pwd; exit 3');
    expect(r).toMatchObject({ exitCode: 3, stdout: 'out\n1000\n/workspace\n', stderr: 'err\n', timedOut: false, truncated: false, signal: null });
  });

  it('takes argv, stdin, env and cwd', async () => {
    await using sb = await pool.acquire({ env: { FROM_SPEC: 'spec' } });
    await sb.exec('mkdir -p sub');
    const r = await sb.exec(['bash', '-c', 'cat; echo " $FROM_SPEC $FROM_CALL $(pwd)"'], { stdin: 'piped', env: { FROM_CALL: 'call' }, cwd: 'sub' });
    expect(r.stdout).toBe('piped spec call /workspace/sub\n');
  });

  it('answers a missing cwd or command with an exit code, not a crash', async () => {
    await using sb = await pool.acquire({});
    const cwd = await sb.exec('true', { cwd: '/nope' });
    expect(cwd.exitCode).toBe(127);
    expect(cwd.stderr).toMatch(/working directory \/nope does not exist/);
    const cmd = await sb.exec(['no-such-binary']);
    expect(cmd.exitCode).toBe(127);
    expect((await sb.exec('no-such-binary')).exitCode).toBe(127);
  });

  it('kills a command past its timeout, background children included, and flags it', async () => {
    await using sb = await pool.acquire({});
    const r = await sb.exec('sleep 30 & sleep 30; echo never', { timeoutMs: 300 });
    expect(r).toMatchObject({ timedOut: true, exitCode: 124, stdout: '' });
    expect(await countSleeps(sb)).toBe(0);
  });

  it('returns when the command exits even if a background job keeps its pipes open', async () => {
    await using sb = await pool.acquire({});
    const r = await sb.exec('sleep 60 & echo started', { timeoutMs: 20_000 });
    expect(r).toMatchObject({ exitCode: 0, stdout: 'started\n', timedOut: false });
  });

  it('caps output per stream and flags the truncation', async () => {
    await using sb = await pool.acquire({});
    const r = await sb.exec('head -c 5000 /dev/zero | tr "\\0" a; echo -n tail >&2', { maxOutputBytes: 1000 });
    expect(r.stdout).toBe('a'.repeat(1000));
    expect(r.stderr).toBe('tail');
    expect(r.truncated).toBe(true);
  });

  it("keeps head and tail with truncate: 'middle', marking the cut", async () => {
    await using sb = await pool.acquire({});
    const r = await sb.exec('seq 1 10000', { maxOutputBytes: 100, truncate: 'middle' });
    expect(r.truncated).toBe(true);
    expect(r.stdout).toMatch(/^1\n2\n3\n[\s\S]*\n\[\.\.\. \d+ bytes omitted \.\.\.\]\n[\s\S]*9999\n10000\n$/);
    const omitted = Number(/\[\.\.\. (\d+) bytes omitted/.exec(r.stdout)![1]);
    expect(omitted).toBe(48894 - 100); // seq 1 10000 prints 48894 bytes; 50 + 50 kept
  });

  it('streams output chunks as they come and then the result', async () => {
    await using sb = await pool.acquire({});
    const stream = sb.execStream('for i in 1 2 3; do echo line$i; sleep 0.05; done; echo done >&2');
    const seen: string[] = [];
    for await (const chunk of stream) seen.push(`${chunk.stream}:${chunk.data.toString()}`);
    expect(seen.join('')).toBe('stdout:line1\nstdout:line2\nstdout:line3\nstderr:done\n');
    expect((await stream.wait()).stdout).toBe('line1\nline2\nline3\n');
  });

  it('streams only up to the output cap, and an aborted stream ends its iterator with the abort', async () => {
    await using sb = await pool.acquire({});
    const capped = sb.execStream('head -c 3000 /dev/zero | tr "\\0" b', { maxOutputBytes: 1000 });
    let streamed = 0;
    for await (const chunk of capped) streamed += chunk.data.length;
    expect(streamed).toBe(1000);
    expect((await capped.wait()).truncated).toBe(true);
    const ac = new AbortController();
    const long = sb.execStream('echo first; sleep 30', { signal: ac.signal });
    const iterator = long[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.data.toString()).toBe('first\n');
    ac.abort();
    await expect(iterator.next()).rejects.toBeInstanceOf(AbortedError);
    await expect(long.wait()).rejects.toBeInstanceOf(AbortedError);
  });

  it('aborts an exec by signal and kills the command', async () => {
    await using sb = await pool.acquire({});
    const ac = new AbortController();
    const running = sb.exec('sleep 30', { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('episode cancelled')), 200);
    await expect(running).rejects.toBeInstanceOf(AbortedError);
    expect(await eventually(async () => (await countSleeps(sb)) === 0, 5000)).toBe(true);
  });
});

describe('sandbox files', () => {
  const pool = newPool();

  it('writes, reads and lists files relative to the workdir', async () => {
    await using sb = await pool.acquire({});
    await sb.writeFile('src/a.py', 'print(1)\n');
    await sb.writeFile('/workspace/src/b.bin', new Uint8Array([0, 1, 255]), { mode: 0o755 });
    expect(await sb.readFile('src/a.py')).toBe('print(1)\n');
    expect([...(await sb.readFileBytes('src/b.bin'))]).toEqual([0, 1, 255]);
    const entries = await sb.listFiles('.', { maxDepth: 2 });
    expect(entries.map((e) => `${e.type}:${e.path}`)).toEqual(['dir:src', 'file:src/a.py', 'file:src/b.bin']);
    expect(entries.find((e) => e.path === 'src/b.bin')).toMatchObject({ size: 3, mode: 0o755 });
    expect((await sb.exec('python3 src/a.py')).stdout).toBe('1\n');
  });

  it('fails file operations with a typed, path-naming SandboxFileError', async () => {
    await using sb = await pool.acquire({});
    await expect(sb.readFile('missing.txt')).rejects.toMatchObject({ kind: 'not_found', path: 'missing.txt', code: 'PHYSARUM_FILE' });
    await sb.exec('mkdir d');
    await expect(sb.readFile('d')).rejects.toMatchObject({ kind: 'is_directory' });
    await expect(sb.writeFile('/etc/passwd', 'x')).rejects.toMatchObject({ kind: 'permission_denied' });
    await expect(sb.listFiles('nope')).rejects.toBeInstanceOf(SandboxFileError);
  });
});

describe('sandbox lifecycle', () => {
  it('finalize stops background processes but keeps files and exec for the reward code', async () => {
    const pool = newPool();
    await using sb = await pool.acquire({});
    await sb.exec('echo state > result.txt; (sleep 300 &) ; setsid sleep 300 & echo ok');
    expect(await countSleeps(sb)).toBe(2);
    await sb.finalize();
    expect(sb.state).toBe('finalized');
    expect(await countSleeps(sb)).toBe(0);
    expect(await sb.readFile('result.txt')).toBe('state\n');
  });

  it('destroy removes the container; later use fails as destroyed; await using disposes', async () => {
    const pool = newPool();
    let id = '';
    {
      await using sb = await pool.acquire({});
      id = sb.id;
      expect((await containersOfRun(pool.runId)).map((c) => c.Id)).toContain(id);
    }
    expect(await eventually(async () => !(await containersOfRun(pool.runId)).some((c) => c.Id === id))).toBe(true);
    const sb = await pool.acquire({});
    const inFlight = sb.exec('sleep 30').catch((err: unknown) => err);
    await new Promise((r) => setTimeout(r, 100));
    await sb.destroy();
    await sb.destroy(); // idempotent
    expect(await inFlight).toMatchObject({ reason: 'destroyed' });
    await expect(sb.exec('true')).rejects.toMatchObject({ reason: 'destroyed' });
  });

  it('hands out warm sandboxes and refills the warm set in the background', async () => {
    const pool = newPool({ warm: 2 });
    await pool.prewarm({});
    expect(pool.stats()).toMatchObject({ warm: 2, coldStarts: 0 });
    const a = await pool.acquire({});
    expect(pool.stats().warmHits).toBe(1);
    expect(await eventually(async () => pool.stats().warm === 2)).toBe(true);
    const b = await pool.acquire({});
    expect(a.id).not.toBe(b.id);
    expect(pool.stats()).toMatchObject({ warmHits: 2, coldStarts: 0 });
    await pool.close();
    expect(await eventually(async () => (await containersOfRun(pool.runId)).length === 0)).toBe(true);
    await expect(pool.acquire({})).rejects.toMatchObject({ reason: 'destroyed' });
  });

  it('runs execs and creations under the budgets it is given (shared limiters included)', async () => {
    const exec = pLimit(1);
    let creates = 0;
    const shared = pLimit(2);
    const create = ((fn: () => Promise<unknown>) => {
      creates++;
      return shared(fn);
    }) as unknown as LimitFunction;
    const pool = newPool({ budgets: { exec, create } });
    await using sb = await pool.acquire({});
    expect(creates).toBe(1);
    const first = sb.exec('sleep 0.5; echo one');
    const second = sb.exec('echo two');
    await new Promise((r) => setTimeout(r, 100));
    expect([exec.activeCount, exec.pendingCount]).toEqual([1, 1]);
    expect((await first).stdout).toBe('one\n');
    expect((await second).stdout).toBe('two\n');
  });

  it('reports a container killed from outside as sandbox_died to in-flight and later calls', async () => {
    const pool = newPool();
    const sb = await pool.acquire({});
    const running = sb.exec('sleep 30').catch((err: unknown) => err);
    await new Promise((r) => setTimeout(r, 300));
    await docker.getContainer(sb.id).kill();
    expect(await running).toMatchObject({ reason: 'sandbox_died', code: 'PHYSARUM_SANDBOX' });
    expect(sb.isAlive).toBe(false);
    await expect(sb.exec('true')).rejects.toBeInstanceOf(SandboxError);
    await sb.destroy();
  });

  it('fails a hung helper with exec_timeout (container paused)', async () => {
    const pool = newPool({ helperGraceMs: 500 });
    const sb = await pool.acquire({});
    await docker.getContainer(sb.id).pause();
    try {
      await expect(sb.exec('true', { timeoutMs: 200 })).rejects.toMatchObject({ reason: 'exec_timeout', code: 'PHYSARUM_SANDBOX_TIMEOUT', isRetryable: true });
    } finally {
      await docker.getContainer(sb.id).unpause();
      await sb.destroy();
    }
  });
});
