// recipes/qwen3-8b-coding.ts loads, its worker config passes the worker schema, and its launch plan
// is the one the header promises (checked without a GPU, as `physarum train --dry-run` does).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dryRun } from '../../../src/driver/dry-run.ts';
import { loadRecipe } from '../../../src/driver/recipe-load.ts';
import { WorkerInitConfig } from '../../../src/protocol/trainer-rpc.ts';

const root = path.resolve(import.meta.dirname, '../../..');

describe('recipes/qwen3-8b-coding.ts', () => {
  it('dry-runs: two TP-2 SGLang engines behind the router, a 4-rank Megatron worker, envs/coding', async () => {
    const { recipe } = await loadRecipe(path.join(root, 'recipes/qwen3-8b-coding.ts'));
    expect(recipe.env).toBe(path.join(root, 'envs/coding'));
    expect(recipe.algorithm.partialRollout).toBe(false);
    const plan = dryRun(recipe);
    expect(() => WorkerInitConfig.parse(plan.worker.init)).not.toThrow();
    const engines = plan.engines.filter((e) => e.role === 'engine');
    expect(engines).toHaveLength(2);
    expect(engines[0]!.argv).toEqual(expect.arrayContaining(['--model-path', 'Qwen/Qwen3-8B', '--tp-size', '2', '--context-length', '32768']));
    expect(plan.worker.argv.slice(0, 3)).toEqual(['torchrun', '--nproc-per-node', '4']);
    expect(plan.worker.init).toMatchObject({ backend: 'megatron', parallelism: { tp: 2, dp: 2 } });
  });
});
