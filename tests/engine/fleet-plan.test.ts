import { describe, expect, it } from 'vitest';
import { planFleet, splitPassThroughFlags } from '../../src/engine/fleet/fleet-plan.ts';

describe('splitPassThroughFlags', () => {
  it('passes --sglang-* and --router-* through with the prefix removed, values and booleans alike', () => {
    const argv = ['--engines', '2', '--sglang-tp-size', '2', '--sglang-enable-metrics', '--router-policy', 'cache_aware', '--sglang-mem-fraction-static=0.8', '--router-worker-urls', 'a', 'b', '--seed', '1'];
    expect(splitPassThroughFlags(argv)).toEqual({
      sglang: ['--tp-size', '2', '--enable-metrics', '--mem-fraction-static=0.8'],
      router: ['--policy', 'cache_aware', '--worker-urls', 'a', 'b'],
      rest: ['--engines', '2', '--seed', '1'],
    });
  });
});

describe('planFleet', () => {
  it('builds exact argv for engines and the router', () => {
    const { sglang, router } = splitPassThroughFlags(['--sglang-tp-size', '2', '--sglang-enable-metrics', '--router-policy', 'round_robin']);
    const plan = planFleet({ modelPath: 'Qwen/Qwen3-4B', engines: 2, python: 'python3', host: '0.0.0.0', basePort: 30000, sglangArgs: sglang, routerArgs: router });
    expect(plan.engines.map((e) => [e.command, ...e.args])).toEqual([
      ['python3', '-m', 'sglang.launch_server', '--model-path', 'Qwen/Qwen3-4B', '--host', '0.0.0.0', '--port', '30000', '--base-gpu-id', '0', '--tp-size', '2', '--enable-metrics'],
      ['python3', '-m', 'sglang.launch_server', '--model-path', 'Qwen/Qwen3-4B', '--host', '0.0.0.0', '--port', '30001', '--base-gpu-id', '2', '--tp-size', '2', '--enable-metrics'],
    ]);
    expect(plan.engines.map((e) => e.url)).toEqual(['http://127.0.0.1:30000', 'http://127.0.0.1:30001']);
    expect([plan.router!.command, ...plan.router!.args]).toEqual([
      'python3', '-m', 'sglang_router.launch_router', '--worker-urls', 'http://127.0.0.1:30000', 'http://127.0.0.1:30001',
      '--host', '0.0.0.0', '--port', '30002', '--policy', 'round_robin',
    ]);
  });

  it('one engine: no router and no --base-gpu-id unless asked', () => {
    const plan = planFleet({ modelPath: 'm', engines: 1 });
    expect(plan.router).toBeUndefined();
    expect(plan.engines[0]!.args).toEqual(['-m', 'sglang.launch_server', '--model-path', 'm', '--host', '127.0.0.1', '--port', '15000']);
  });

  it('keeps a user --base-gpu-id and refuses flags the fleet owns', () => {
    const plan = planFleet({ modelPath: 'm', engines: 2, sglangArgs: ['--base-gpu-id', '4'] });
    expect(plan.engines[1]!.args.filter((a) => a === '--base-gpu-id')).toHaveLength(1);
    expect(() => planFleet({ modelPath: 'm', engines: 1, sglangArgs: ['--port', '1'] })).toThrow(/--sglang-port is set by the fleet itself/);
    expect(() => planFleet({ modelPath: 'm', engines: 0 })).toThrow(/engines must be a positive integer, got 0/);
    expect(() => planFleet({ modelPath: 'm', engines: 2, sglangArgs: ['--tp-size', 'x'] })).toThrow(/--sglang-tp-size must be a positive integer, got 'x'/);
  });
});
