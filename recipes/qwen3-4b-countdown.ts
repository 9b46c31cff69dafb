/**
 * Qwen3-4B on countdown with GRPO, one 8-GPU node: 4 GPUs train (Megatron, TP 2 × DP 2), 4 GPUs
 * serve (two SGLang engines with TP 2 behind the router). Asynchronous: rollout of step k+1
 * overlaps training of step k, samples older than one weight version are dropped, TIS corrects
 * the rest. Check the launch plan without a GPU: `physarum train recipes/qwen3-4b-countdown.ts --dry-run`.
 */
import { defineRecipe } from '../src/driver/recipe.ts';

export default defineRecipe({
  name: 'qwen3-4b-countdown',
  env: 'envs/countdown',
  data: { train: 'envs/countdown/data.jsonl', heldOut: 'envs/countdown/data.jsonl@[0:16]' },
  model: { path: 'Qwen/Qwen3-4B' },
  engine: {
    kind: 'fleet',
    engines: 2,
    sglangArgs: ['--tp-size', '2', '--mem-fraction-static', '0.8', '--context-length', '8192', '--dtype', 'bfloat16'],
    routerArgs: ['--policy', 'cache_aware'],
  },
  trainer: {
    backend: 'megatron',
    device: 'cuda',
    dtype: 'bfloat16',
    nproc: 4,
    optimizer: { lr: 1e-6, weightDecay: 0.1, clipGrad: 1.0 },
    parallelism: { tp: 2, pp: 1, dp: 2 },
    reference: 'initial',
    maxTokensPerGpu: 9216,
    megatron: { 'sequence-parallel': true, 'use-distributed-optimizer': true, recompute: 'full' },
  },
  algorithm: {
    kind: 'rl',
    normalization: 'grpo',
    dropZeroStd: true,
    maxStaleness: 1,
    partialRollout: true,
    loss: { policyLoss: 'ppo', epsClip: 0.2, epsClipHigh: 0.28, kl: { coef: 0.0 }, tis: { mode: 'token', clipHigh: 2 } },
  },
  rollout: { batchSize: 32, nSamplesPerPrompt: 8, sampling: { temperature: 1, top_k: -1, max_new_tokens: 1024 }, maxTurns: 6, concurrency: 256 },
  eval: { every: 10, greedy: true, passK: 8 },
  train: { mode: 'async', steps: 200, saveEvery: 20, seed: 42 },
  runDir: 'runs/qwen3-4b-countdown',
});
