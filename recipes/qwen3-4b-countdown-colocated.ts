/**
 * Qwen3-4B on countdown, colocated (slime's --colocate): trainer and one SGLang engine share the
 * same 4 GPUs; the engine releases its memory while Megatron trains and takes it back for the
 * next rollout (WeightSync's colocated path). Synchronous by necessity.
 */
import { defineRecipe } from '../src/driver/recipe.ts';
import base from './qwen3-4b-countdown.ts';

export default defineRecipe({
  ...base,
  name: 'qwen3-4b-countdown-colocated',
  engine: { kind: 'fleet', engines: 1, sglangArgs: ['--tp-size', '4', '--mem-fraction-static', '0.6', '--enable-memory-saver', '--dtype', 'bfloat16'] },
  algorithm: { ...base.algorithm, maxStaleness: undefined, partialRollout: false, loss: { policyLoss: 'ppo', epsClip: 0.2, epsClipHigh: 0.28 } },
  trainer: { ...base.trainer!, parallelism: { tp: 2, pp: 1, dp: 2 } },
  train: { ...base.train, mode: 'sync', colocate: true },
  runDir: 'runs/qwen3-4b-countdown-colocated',
});
