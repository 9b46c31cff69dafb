// Issue 12 §5: whatever comes out of a sandbox cannot crash or stall the orchestrator. The helper
// is out of the agent's reach (helper-takeover.test.ts), so a forged message is injected here as
// an agent that had broken out would: as root with ptrace rights, writing into the helper's stdout.
import type Docker from 'dockerode';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { SandboxError, type Sandbox } from '../../sandboxes/index.ts';
import { agent, docker, eventually, testPools } from './fixtures.ts';

const newPool = testPools('sec-input');

/**
 * Writes `line` into the helper's stdout, as an agent that had broken out of its uid would. Done
 * from the host (root, the local engine): inside the container nothing may open the helper's fds.
 */
async function forge(sb: Sandbox, line: string): Promise<void> {
  const init = (await docker.getContainer(sb.id).inspect()).State.Pid;
  const helper = readFileSync(`/proc/${init}/task/${init}/children`, 'utf8').trim().split(/\s+/)[0];
  expect(readFileSync(`/proc/${helper}/cmdline`, 'utf8')).toMatch(/physarum sandbox helper/);
  // Off the event loop: the host must keep reading its end while a long line goes in.
  await writeFile(`/proc/${helper}/fd/1`, `${line}\n`);
}

async function gone(id: string): Promise<boolean> {
  return (docker as Docker).getContainer(id).inspect().then(() => false, () => true);
}

// Forging needs the engine's processes visible from here as root (the local engine of the tests).
const local = process.getuid?.() === 0;

describe.runIf(local)('the orchestrator survives what comes out of a sandbox', () => {
  const pool = newPool({ maxHelperMessageChars: 1 << 20 });

  it('a forged event with a number for data fails that sandbox alone, typed, and the process lives', async () => {
    const sb = await pool.acquire({});
    await using neighbour = await pool.acquire({});
    const running = sb.execStream('echo started; sleep 60');
    await running[Symbol.asyncIterator]().next(); // the request is in flight: its id is the last one
    const rid = sb.helper.nextRequestId() - 1;
    await forge(sb, JSON.stringify({ id: rid, ev: 'out', stream: 'stdout', data: 12345 }));
    const err = await running.wait().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxError);
    expect(err).toMatchObject({ reason: 'protocol' });
    expect((err as Error).message).toMatch(/malformed/);
    expect(sb.isAlive).toBe(false);
    expect(await eventually(() => gone(sb.id))).toBe(true);
    expect((await neighbour.exec('echo fine')).stdout).toBe('fine\n');
  });

  it('a forged chunk for a pending request and a line that is not JSON fail the sandbox the same way', async () => {
    for (const line of [JSON.stringify({ id: 0, ev: 'chunk', data: 12345 }), '{"id": 1, "ev": "done", "ok": true']) {
      const sb = await pool.acquire({});
      const stream = sb.execStream('echo started; sleep 60');
      const running = stream.wait();
      running.catch(() => undefined);
      await stream[Symbol.asyncIterator]().next();
      const rid = sb.helper.nextRequestId() - 1;
      await forge(sb, line.replace('"id":0', `"id":${rid}`));
      await expect(running).rejects.toMatchObject({ reason: 'protocol' });
      await sb.destroy();
    }
  });

  it('a message over the cap fails its sandbox; honest reads of big files are refused, typed, instead', async () => {
    await using sb = await pool.acquire({});
    const me = agent(sb);
    await me.bash('head -c 2000000 /dev/zero | tr "\\0" a > big.txt');
    await expect(sb.readFile('big.txt')).rejects.toMatchObject({ kind: 'too_large' });
    expect((await sb.readFile('big.txt', { maxBytes: 10 })).length).toBe(10);
    const running = sb.exec('sleep 60');
    running.catch(() => undefined);
    await forge(sb, `{"ev":"out","data":"${'A'.repeat(2 << 20)}"}`);
    await expect(running).rejects.toMatchObject({ reason: 'protocol', message: expect.stringMatching(/exceeded/) });
  });
});

describe('reading a long line costs linear work', () => {
  const pool = newPool();

  it('scans each character of a 16 MB line once', async () => {
    await using sb = await pool.acquire({});
    const me = agent(sb);
    await me.bash('head -c 12000000 /dev/zero | tr "\\0" a > line.txt');
    const before = sb.helper.scannedChars;
    const bytes = await sb.readFileBytes('line.txt');
    expect(bytes.length).toBe(12_000_000);
    const scanned = sb.helper.scannedChars - before;
    // The answer is one JSON line of 16 M base64 characters plus a few fields: seen once, not per chunk.
    expect(scanned).toBeGreaterThanOrEqual(16_000_000);
    expect(scanned).toBeLessThan(16_100_000);
  });
});

describe('every tool bounds what it reads and returns', () => {
  const pool = newPool();

  it('str_replace refuses a 16 MB file and clips a 2 MB edited line, saying so', async () => {
    await using sb = await pool.acquire({});
    const me = agent(sb);
    await me.bash('head -c 16000000 /dev/zero | tr "\\0" a > huge.txt && (printf x; head -c 2000000 /dev/zero | tr "\\0" b) > one-line.js');
    expect(await me.strReplace('huge.txt', 'aaa', 'b')).toMatch(/larger than 4 MiB/);
    const out = await me.strReplace('one-line.js', 'x', 'y');
    expect(out.length).toBeLessThan(16_500);
    expect(out).toMatch(/characters omitted/);
    expect(await me.bash('head -c 3 one-line.js')).toBe('ybb');
  });
});
