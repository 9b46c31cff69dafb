// Issue 12 §4: the agent fills the disk from its bash tool. One big file stops at the cap
// (RLIMIT_FSIZE), many files are stopped by the helper's watchdog; either is a typed `disk_limit`
// failure attributed to the agent, and the container's writable layer stays near the cap.
import { describe, expect, it } from 'vitest';
import { SandboxError, type Sandbox } from '../../sandboxes/index.ts';
import { agent, docker, testPools } from './fixtures.ts';

const newPool = testPools('sec-disk');
const CAP_MB = 64;

async function writableLayerMb(sb: Sandbox): Promise<number> {
  // The engine's own count of the container's writable layer on the host disk.
  const [info] = await docker.listContainers({ all: true, size: true, filters: { id: [sb.id] } });
  return ((info as { SizeRw?: number } | undefined)?.SizeRw ?? 0) / 2 ** 20;
}

describe('disk is capped per sandbox', () => {
  const pool = newPool();
  const spec = { limits: { diskMb: CAP_MB, memoryMb: 256, cpus: 1, pids: 128 } };

  it('a 2 GB dd in the workdir stops at the cap: disk_limit, the agent\'s doing', async () => {
    await using sb = await pool.acquire(spec);
    const err = await agent(sb).bash('dd if=/dev/zero of=big bs=1M count=2048').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxError);
    expect(err).toMatchObject({ reason: 'disk_limit', code: 'PHYSARUM_SANDBOX_DISK_LIMIT', agentCaused: true });
    expect(await writableLayerMb(sb)).toBeLessThanOrEqual(CAP_MB + 1);
  });

  it('many smaller files are stopped by the watchdog, typed the same way', async () => {
    await using sb = await pool.acquire(spec);
    const err = await agent(sb).bash('for i in $(seq 1 400); do head -c 4M /dev/zero > f$i || exit 1; done; echo all-written', 120).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'disk_limit', agentCaused: true });
    expect((err as Error).message).toMatch(/over its 64 MiB disk limit/);
    // The watchdog looks every 0.25 s; what got past it in that time is bounded by write speed.
    expect(await writableLayerMb(sb)).toBeLessThan(1600);
    expect((await sb.listFiles('.')).length).toBeLessThan(400);
    // From then on the sandbox is over its limit: every command says so, none runs on.
    await expect(sb.exec('true')).rejects.toMatchObject({ reason: 'disk_limit' });
  });

  it('a sandbox under its cap is untouched', async () => {
    await using sb = await pool.acquire(spec);
    expect(await agent(sb).bash('head -c 8M /dev/zero > ok.bin && ls -s --block-size=M ok.bin')).toBe('8M ok.bin');
  });
});
