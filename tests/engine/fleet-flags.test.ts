import { describe, expect, it } from 'vitest';
import { fleetOptionsFromFlags } from '../../src/engine/fleet/fleet-flags.ts';

describe('fleetOptionsFromFlags', () => {
  it('builds a spawn plan and leaves other flags for the caller', () => {
    const { options, rest } = fleetOptionsFromFlags([
      '--model-path', 'Qwen/Qwen3-4B', '--engines', '2', '--base-port', '30000', '--router-port', '8000',
      '--sglang-tp-size', '2', '--router-policy', 'round_robin', '--rollout-batch-size', '64',
    ]);
    expect(rest).toEqual(['--rollout-batch-size', '64']);
    expect(options.plan!.engines.map((e) => e.port)).toEqual([30000, 30001]);
    expect(options.plan!.engines[0]!.args).toContain('--tp-size');
    expect(options.plan!.router!.args).toEqual([
      '-m', 'sglang_router.launch_router', '--worker-urls', 'http://127.0.0.1:30000', 'http://127.0.0.1:30001',
      '--host', '127.0.0.1', '--port', '8000', '--policy', 'round_robin',
    ]);
  });

  it('watches external engines, with an external router', () => {
    const { options } = fleetOptionsFromFlags(['--engine-urls', 'http://a:1,http://b:2', '--router-url', 'http://r:8000']);
    expect(options).toEqual({ engineUrls: ['http://a:1', 'http://b:2'], routerUrl: 'http://r:8000' });
  });

  it('an external router means no spawned router', () => {
    const { options } = fleetOptionsFromFlags(['--model-path', 'm', '--engines', '2', '--router-url=http://r:1']);
    expect(options.plan!.router).toBeUndefined();
    expect(options.routerUrl).toBe('http://r:1');
  });

  it('names the bad flag', () => {
    expect(() => fleetOptionsFromFlags([])).toThrow(/give --model-path .* or --engine-urls/);
    expect(() => fleetOptionsFromFlags(['--model-path', 'm', '--engines', 'two'])).toThrow(/--engines must be a positive integer, got 'two'/);
    expect(() => fleetOptionsFromFlags(['--engine-urls', 'a:1'])).toThrow(/'a:1' is not an http\(s\) URL/);
    expect(() => fleetOptionsFromFlags(['--engine-urls', 'http://a:1', '--model-path', 'm'])).toThrow(/cannot be combined/);
    expect(() => fleetOptionsFromFlags(['--model-path', 'm', '--base-port', '70000'])).toThrow(/--base-port must be a TCP port/);
    expect(() => fleetOptionsFromFlags(['--model-path'])).toThrow(/--model-path needs a value/);
  });
});
