// Group fork: one prepared sandbox, G copies in the same file state, isolated from each other.
import { describe, expect, it } from 'vitest';
import { SandboxError } from '../../sandboxes/index.ts';
import { testPools } from './fixtures/pool.ts';

const newPool = testPools('fork');

describe('SandboxPool.fork', () => {
  it('gives each of G copies the prepared state, and no copy sees another one\'s writes', async () => {
    const pool = newPool({ warm: 2 });
    const spec = { setup: ['echo base > from-setup.txt', 'echo doomed > doomed.txt'] };
    await using prepared = await pool.acquire(spec);
    await prepared.exec('mkdir -p repo/src && echo "def f(): return 1" > repo/src/f.py && chmod 600 repo/src/f.py && rm doomed.txt && echo home > ~/.rc && mkdir empty-dir');
    await prepared.exec('echo changed >> from-setup.txt && ln -s repo/src/f.py link.py && mkdir -p /tmp/scratch && echo t > /tmp/scratch/t');
    await pool.prewarm(spec); // two of the four copies come from the warm set, two are cold
    const copies = await pool.fork(prepared, 4);
    expect(new Set(copies.map((c) => c.id)).size).toBe(4);
    expect(copies.map((c) => c.id)).not.toContain(prepared.id);
    try {
      for (const c of copies) {
        expect(await c.readFile('repo/src/f.py')).toBe('def f(): return 1\n');
        expect(await c.readFile('from-setup.txt')).toBe('base\nchanged\n');
        expect(await c.readFile('/home/sandbox/.rc')).toBe('home\n');
        await expect(c.readFile('doomed.txt')).rejects.toMatchObject({ kind: 'not_found' });
        const stat = await c.exec('stat -c %a repo/src/f.py; test -d empty-dir && echo dir; readlink link.py; cat /tmp/scratch/t');
        expect(stat.stdout).toBe('600\ndir\nrepo/src/f.py\nt\n');
      }
      await Promise.all(copies.map((c, i) => c.writeFile('repo/src/f.py', `def f(): return ${i + 10}\n`)));
      await copies[0]!.exec('rm from-setup.txt');
      for (const [i, c] of copies.entries()) expect(await c.readFile('repo/src/f.py')).toBe(`def f(): return ${i + 10}\n`);
      expect(await copies[1]!.readFile('from-setup.txt')).toBe('base\nchanged\n');
      expect(await prepared.readFile('repo/src/f.py')).toBe('def f(): return 1\n');
      expect(pool.stats().warmHits).toBeGreaterThanOrEqual(2);
    } finally {
      await Promise.all(copies.map((c) => c.destroy()));
    }
  });

  it('forks read-only-root sandboxes by copying their writable workdir and /tmp', async () => {
    const pool = newPool();
    await using prepared = await pool.acquire({ readOnlyRoot: true });
    await prepared.exec('echo a > kept.txt && echo t > /tmp/t.txt');
    const [copy] = await pool.fork(prepared, 1);
    await using _copy = copy!;
    expect(await copy!.readFile('kept.txt')).toBe('a\n');
    expect(await copy!.readFile('/tmp/t.txt')).toBe('t\n');
  });

  it('gives reward code a clean room: the agent\'s files without its processes', async () => {
    const pool = newPool();
    await using agent = await pool.acquire({});
    // The first line of noise.log is written before the writer goes to the background, so the
    // file exists when the fork is taken, however late the background loop gets scheduled.
    await agent.exec('echo patch > fix.diff; date > noise.log; (while true; do sleep 0.1; date >> noise.log; done) > /dev/null 2>&1 &');
    const [room] = await pool.fork(agent, 1);
    await using _room = room!;
    expect(await room!.readFile('fix.diff')).toBe('patch\n');
    // Processes other than init, the helper and this probe's own shell: none.
    const others = 'n=0; for d in /proc/[0-9]*; do p=${d#/proc/}; [ "$p" = 1 ] || [ "$p" = $$ ] || [ "$p" = $PPID ] || n=$((n+1)); done; echo $n';
    expect(Number((await agent.exec(others)).stdout)).toBeGreaterThan(0);
    expect((await room!.exec(others)).stdout.trim()).toBe('0');
    const before = (await room!.readFile('noise.log')).length;
    await new Promise((r) => setTimeout(r, 400));
    expect((await room!.readFile('noise.log')).length).toBe(before);
  });

  it('rejects bad counts and sandboxes that are not this pool\'s', async () => {
    const pool = newPool();
    const other = newPool();
    await using sb = await other.acquire({});
    await expect(pool.fork(sb, 2)).rejects.toMatchObject({ reason: 'fork_failed' });
    await expect(other.fork(sb, 0)).rejects.toBeInstanceOf(SandboxError);
    await sb.destroy();
    await expect(other.fork(sb, 1)).rejects.toMatchObject({ reason: 'fork_failed' });
  });
});
