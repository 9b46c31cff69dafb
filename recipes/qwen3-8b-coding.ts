/**
 * Qwen3-8B as a coding agent on envs/coding (SWE-bench-style tasks in Docker sandboxes) with GRPO,
 * one 8-GPU node: 4 GPUs train (Megatron, TP 2 × DP 2), 4 GPUs serve (two SGLang engines with
 * TP 2 behind the router). Episodes are long and multi-turn (up to 30 tool calls in a 32k window),
 * so a micro-batch holds one long sequence per GPU and activations are recomputed. Asynchronous:
 * rollout of step k+1 overlaps training of step k. No partial rollout: a resumed episode would get
 * a fresh sandbox, losing the agent's edits. The machine needs Docker (sandboxes and their
 * verification rooms run beside the engines). Check the plan without a GPU:
 * `physarum train recipes/qwen3-8b-coding.ts --dry-run`.
 */
import { defineRecipe } from '../src/driver/recipe.ts';

export default defineRecipe({
  name: 'qwen3-8b-coding',
  env: 'envs/coding',
  data: { train: 'envs/coding/data/tasks.jsonl', heldOut: 'envs/coding/data/tasks.jsonl@[0:16]' },
  model: { path: 'Qwen/Qwen3-8B' },
  engine: {
    kind: 'fleet',
    engines: 2,
    sglangArgs: ['--tp-size', '2', '--mem-fraction-static', '0.75', '--context-length', '32768', '--dtype', 'bfloat16'],
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
    maxTokensPerGpu: 32768,
    megatron: { 'sequence-parallel': true, 'use-distributed-optimizer': true, recompute: 'full' },
  },
  algorithm: {
    kind: 'rl',
    normalization: 'grpo',
    dropZeroStd: true,
    maxStaleness: 1,
    partialRollout: false,
    loss: { policyLoss: 'ppo', epsClip: 0.2, epsClipHigh: 0.28, kl: { coef: 0.0 }, tis: { mode: 'token', clipHigh: 2 } },
  },
  rollout: { batchSize: 16, nSamplesPerPrompt: 8, sampling: { temperature: 1, top_k: -1, max_new_tokens: 2048 }, maxTurns: 30, concurrency: 128 },
  eval: { every: 10, greedy: true, passK: 8 },
  train: { mode: 'async', steps: 200, saveEvery: 20, seed: 42 },
  runDir: 'runs/qwen3-8b-coding',
});
