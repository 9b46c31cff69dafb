import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitTrainArgv } from '../../src/cli/train.ts';
import { dryRun, formatDryRun } from '../../src/driver/dry-run.ts';
import { applyOverrides, loadRecipe, parseRecipe } from '../../src/driver/recipe-load.ts';
import { workerInitConfig, workerThreads } from '../../src/driver/trainer-port.ts';
import { WorkerInitConfig } from '../../src/protocol/trainer-rpc.ts';

const root = path.resolve(import.meta.dirname, '../..');
const minimal = {
  name: 't', env: 'envs/addition', data: { train: 'envs/addition/train.jsonl' }, model: { tiny: { layers: 1, hidden: 32 } },
  rollout: { batchSize: 2, nSamplesPerPrompt: 2 }, train: { steps: 1 }, runDir: 'runs/t',
};

describe('recipe validation', () => {
  it('fills defaults', () => {
    const r = parseRecipe(minimal);
    expect(r.engine).toMatchObject({ kind: 'embedded', threads: 1 });
    expect(r.train.mode).toBe('sync');
    expect(r.rollout.sampling.top_k).toBe(-1);
  });

  it('names an unknown field, nested', () => {
    expect(() => parseRecipe({ ...minimal, train: { steps: 1, stepz: 2 } }, 'x.ts')).toThrow('recipe x.ts: unknown field train.stepz');
    expect(() => parseRecipe({ ...minimal, colour: 'red' })).toThrow('unknown field colour');
  });

  it('names a bad value with its path, in one line', () => {
    let message = '';
    try {
      parseRecipe({ ...minimal, rollout: { batchSize: 0, nSamplesPerPrompt: 2 } });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^recipe recipe: rollout\.batchSize: /);
    expect(message).not.toContain('\n');
    expect(() => parseRecipe({ ...minimal, engine: { kind: 'gpu-cloud' } })).toThrow(/engine\.kind/);
    expect(() => parseRecipe({ ...minimal, model: {} })).toThrow(/exactly one of model\.path or model\.tiny/);
  });

  it('refuses colocate with async', () => {
    expect(() => parseRecipe({ ...minimal, train: { steps: 1, mode: 'async', colocate: true } })).toThrow(/train\.colocate: colocate needs train\.mode "sync"/);
  });
});

describe('torch threads of the worker', () => {
  const cpu = { ...minimal, trainer: { device: 'cpu' } };
  it('async CPU runs on 4+ cores leave one core to the rollout; 2 cores and sync runs keep torch\'s default; the recipe wins', () => {
    expect(workerThreads(parseRecipe({ ...cpu, train: { steps: 1, mode: 'async' } }), 2)).toBeUndefined();
    expect(workerThreads(parseRecipe({ ...cpu, train: { steps: 1, mode: 'async' } }), 4)).toBe(3);
    expect(workerThreads(parseRecipe({ ...cpu, train: { steps: 1, mode: 'async' } }), 16)).toBe(15);
    expect(workerThreads(parseRecipe({ ...cpu, train: { steps: 1, mode: 'async' } }), 1)).toBeUndefined();
    expect(workerThreads(parseRecipe(cpu), 2)).toBeUndefined();
    expect(workerThreads(parseRecipe({ ...minimal, trainer: { device: 'cuda' }, train: { steps: 1, mode: 'async' } }), 2)).toBeUndefined();
    expect(workerThreads(parseRecipe({ ...cpu, trainer: { device: 'cpu', threads: 2 }, train: { steps: 1, mode: 'async' } }), 2)).toBe(2);
  });

  it('reaches the worker config, which the worker schema accepts', () => {
    const init = workerInitConfig(parseRecipe({ ...cpu, trainer: { device: 'cpu', threads: 3 } }), '/m');
    expect(init.threads).toBe(3);
    expect(WorkerInitConfig.parse(init).threads).toBe(3);
    expect(workerInitConfig(parseRecipe(cpu), '/m')).not.toHaveProperty('threads');
    expect(() => parseRecipe({ ...cpu, trainer: { threads: 0 } })).toThrow(/trainer\.threads/);
  });
});

describe('flag overrides', () => {
  it('sets dotted paths, parsing JSON values, without touching the original', () => {
    const out = applyOverrides(minimal, [['train.steps', '5'], ['rollout.sampling.temperature', '0.5'], ['train.mode', 'async']]) as typeof minimal & { rollout: { sampling: { temperature: number } } };
    expect(out.train.steps).toBe(5);
    expect(out.rollout.sampling.temperature).toBe(0.5);
    expect(minimal.train.steps).toBe(1);
    expect(parseRecipe(out).train.mode).toBe('async');
  });

  it('an override of a field that does not exist is named', () => {
    expect(() => parseRecipe(applyOverrides(minimal, [['train.stepz', '5']]))).toThrow('unknown field train.stepz');
    expect(() => applyOverrides(minimal, [['name.x', '1']])).toThrow('--name.x: name is not an object');
  });

  it('splits argv into overrides and pass-through flags', () => {
    const split = splitTrainArgv(['r.ts', '--train.steps', '3', '--rollout.sampling.temperature=0.8', '--sglang-tp-size', '2', '--router-policy', 'random', '--megatron-recompute', 'full', '--resume']);
    expect(split.overrides).toEqual([['train.steps', '3'], ['rollout.sampling.temperature', '0.8']]);
    expect(split.sglang).toEqual(['--tp-size', '2']);
    expect(split.router).toEqual(['--policy', 'random']);
    expect(split.megatron).toEqual({ 'megatron-recompute': 'full' });
    expect(split.rest).toEqual(['r.ts', '--resume']);
  });

  it('loads a JSON recipe, applies overrides and resolves paths against the project root', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'recipe-'));
    writeFileSync(path.join(dir, 'package.json'), '{}');
    const file = path.join(dir, 'r.json');
    writeFileSync(file, JSON.stringify(minimal));
    const { recipe } = await loadRecipe(file, [['train.steps', '4']]);
    expect(recipe.train.steps).toBe(4);
    expect(recipe.runDir).toBe(path.join(dir, 'runs/t'));
    expect(recipe.data.train).toBe(path.join(dir, 'envs/addition/train.jsonl'));
  });
});

describe('dry run', () => {
  it('every recipe in recipes/ loads, and its worker config passes the worker schema', async () => {
    for (const name of ['demo-cpu.ts', 'demo-cpu-sft.ts', 'qwen3-4b-countdown.ts', 'qwen3-4b-countdown-colocated.ts', 'qwen3-4b-selfplay.ts']) {
      const { recipe } = await loadRecipe(path.join(root, 'recipes', name));
      const plan = dryRun(recipe);
      expect(() => WorkerInitConfig.parse(plan.worker.init), name).not.toThrow();
    }
  });

  it('prints the fleet argv with pass-through flags and the torchrun worker command', async () => {
    const { recipe } = await loadRecipe(path.join(root, 'recipes/qwen3-4b-countdown.ts'), [['trainer.megatron', '{"recompute":"selective"}']]);
    const plan = dryRun(recipe);
    const engines = plan.engines.filter((e) => e.role === 'engine');
    expect(engines).toHaveLength(2);
    expect(engines[1]!.argv).toEqual(expect.arrayContaining(['-m', 'sglang.launch_server', '--model-path', 'Qwen/Qwen3-4B', '--tp-size', '2', '--base-gpu-id', '2']));
    expect(plan.engines.find((e) => e.role === 'router')!.argv).toEqual(expect.arrayContaining(['--worker-urls', engines[0]!.url, engines[1]!.url, '--policy', 'cache_aware']));
    expect(plan.worker.argv.slice(0, 3)).toEqual(['torchrun', '--nproc-per-node', '4']);
    expect(plan.worker.init).toMatchObject({ backend: 'megatron', parallelism: { tp: 2, dp: 2 }, megatron: { recompute: 'selective' } });
    expect(formatDryRun(plan)).toContain('sglang.launch_server');
  });

  it('the self-play recipe trains both seats with RAE, and a flag puts player 1 on a frozen endpoint', async () => {
    const { recipe } = await loadRecipe(path.join(root, 'recipes/qwen3-4b-selfplay.ts'));
    expect(recipe.algorithm.advantage).toEqual({ estimator: 'rae', decay: 0.95 });
    expect(recipe.rollout.roles).toBeUndefined();
    expect(dryRun(recipe).engines.filter((e) => e.role === 'engine')).toHaveLength(2);
    const frozen = await loadRecipe(path.join(root, 'recipes/qwen3-4b-selfplay.ts'), [
      ['rollout.roles', '{"player1":{"trains":false,"engine":{"api":"chat","url":"http://127.0.0.1:30001"}}}'],
    ]);
    expect(frozen.recipe.rollout.roles).toEqual({ player1: { trains: false, engine: { api: 'chat', url: 'http://127.0.0.1:30001' } } });
    expect(parseRecipe(minimal).algorithm.advantage).toEqual({ estimator: 'group' });
    expect(() => parseRecipe({ ...minimal, algorithm: { advantage: { estimator: 'rae', decay: 1 } } })).toThrow(/algorithm\.advantage\.decay/);
  });

  it('a pass-through flag the fleet owns is refused by name', async () => {
    const { recipe } = await loadRecipe(path.join(root, 'recipes/qwen3-4b-countdown.ts'));
    if (recipe.engine.kind !== 'fleet') throw new Error('fleet expected');
    recipe.engine.sglangArgs.push('--port', '1');
    expect(() => dryRun(recipe)).toThrow('--sglang-port is set by the fleet itself');
  });
});
