// Hardening holds against a hostile command: fork bomb, memory hog, network, writes outside the
// workdir on a read-only root, privileges. Each runs in its own sandbox on the real Docker daemon.
import { describe, expect, it } from 'vitest';
import { SandboxError } from '../../sandboxes/index.ts';
import { testPools } from './fixtures/pool.ts';

const newPool = testPools('limits');

describe('sandbox limits', () => {
  const pool = newPool({ helperGraceMs: 30_000 });

  it('contains a fork bomb: the pids limit holds, the timeout ends it, the sandbox and its neighbour live on', async () => {
    await using bomb = await pool.acquire({ limits: { pids: 64 } });
    await using neighbour = await pool.acquire({ limits: { pids: 64 } });
    const running = bomb.exec('bomb() { bomb | bomb & }; bomb; sleep 5', { timeoutMs: 3000 });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // Mid-bomb the helper still answers: the command either runs or is refused, never a crash.
    const during = await bomb.exec('echo during', { timeoutMs: 1500 });
    expect(during.stdout === 'during\n' || during.exitCode === 126 || during.timedOut).toBe(true);
    const r = await running;
    expect(r.timedOut).toBe(true);
    // The limit is the container's, so the host's own process table never saw the flood.
    const max = await bomb.exec('cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max');
    expect(max.stdout.trim()).toBe('64');
    await bomb.finalize();
    expect((await bomb.exec('echo alive')).stdout).toBe('alive\n');
    expect((await neighbour.exec('echo fine')).stdout).toBe('fine\n');
  });

  it('OOM-kills a memory hog and reports it as a typed oom failure; the sandbox survives', async () => {
    await using sb = await pool.acquire({ limits: { memoryMb: 128 } });
    const err = await sb.exec(`python3 -c "x = 'a' * (400 * 1024 * 1024); print(len(x))"`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxError);
    expect(err).toMatchObject({ reason: 'oom', code: 'PHYSARUM_SANDBOX_OOM' });
    expect((err as Error).message).toMatch(/128 MiB/);
    expect((await sb.exec('echo after')).stdout).toBe('after\n');
    // An ordinary SIGKILL is an exit status, not an OOM.
    const killed = await sb.exec('kill -9 $$');
    expect(killed).toMatchObject({ exitCode: 137, signal: 'SIGKILL' });
  });

  it('has no outbound network by default; network: true opts in', async () => {
    await using sb = await pool.acquire({});
    const probe = `python3 -c "import socket; socket.create_connection(('172.17.0.1', 2375), timeout=3)"`;
    const r = await sb.exec(probe);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/Network is unreachable|OSError/);
    expect((await sb.exec('ls /sys/class/net')).stdout.trim()).toBe('lo');
    await using online = await pool.acquire({ network: true });
    expect((await online.exec('ls /sys/class/net')).stdout).toMatch(/eth0/);
  });

  it('read-only root: writes outside the workdir fail, the workdir and /tmp stay writable', async () => {
    await using sb = await pool.acquire({ readOnlyRoot: true });
    const outside = await sb.exec('touch /home/sandbox/x');
    expect(outside.exitCode).not.toBe(0);
    expect(outside.stderr).toMatch(/Read-only file system/);
    await expect(sb.writeFile('/home/sandbox/y', 'no')).rejects.toMatchObject({ kind: 'read_only' });
    expect((await sb.exec('echo ok > in-workdir && echo ok > /tmp/t && cat in-workdir /tmp/t')).stdout).toBe('ok\nok\n');
    await sb.writeFile('notes.txt', 'yes');
    expect(await sb.readFile('notes.txt')).toBe('yes');
  });

  it('runs unprivileged: non-root, no capabilities, no-new-privileges, CPU and memory limits set', async () => {
    await using sb = await pool.acquire({ limits: { cpus: 0.5, memoryMb: 256 } });
    const status = await sb.exec('grep -E "^(Uid|CapEff|NoNewPrivs)" /proc/self/status');
    expect(status.stdout).toMatch(/Uid:\s+1000/);
    expect(status.stdout).toMatch(/CapEff:\s+0000000000000000/);
    expect(status.stdout).toMatch(/NoNewPrivs:\s+1/);
    const mem = await sb.exec('cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max');
    expect(Number(mem.stdout.trim())).toBe(256 * 2 ** 20);
    const cpu = await sb.exec('cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us 2>/dev/null || cat /sys/fs/cgroup/cpu.max');
    const [quota, period] = cpu.stdout.trim().split(/\s+/).map(Number);
    expect(quota! / period!).toBeCloseTo(0.5);
  });
});
