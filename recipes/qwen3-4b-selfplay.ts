/**
 * Qwen3-4B learning Kuhn poker by self-play (SPIRAL's setting), one 8-GPU node: 4 GPUs train
 * (Megatron, TP 2 × DP 2), 4 serve (two SGLang engines with TP 2 behind the router). One policy
 * plays both seats, each seat its own samples; advantages are role-conditioned (RAE): each seat's
 * reward minus that seat's running baseline, so player 1's structural edge is not learned as
 * "player 1 did well". Synchronous and on-policy, as SPIRAL trains.
 *
 * Check the launch plan without a GPU: `physarum train recipes/qwen3-4b-selfplay.ts --dry-run`.
 * Against a frozen opponent instead (any OpenAI-compatible endpoint; player 1 is then not trained):
 *   --rollout.roles '{"player1":{"trains":false,"engine":{"api":"chat","url":"http://opponent:30000"}}}'
 */
import { defineRecipe } from '../src/driver/recipe.ts';

export default defineRecipe({
  name: 'qwen3-4b-selfplay',
  env: 'envs/selfplay',
  data: { train: 'envs/selfplay/data.jsonl', heldOut: 'envs/selfplay/data.jsonl@[0:24]' },
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
    optimizer: { lr: 1e-6, weightDecay: 0.0, clipGrad: 1.0 },
    parallelism: { tp: 2, pp: 1, dp: 2 },
    reference: 'none',
    maxTokensPerGpu: 9216,
    megatron: { 'sequence-parallel': true, 'use-distributed-optimizer': true, recompute: 'full' },
  },
  algorithm: {
    kind: 'rl',
    // Reward minus the seat's own running baseline; a group whose hands all went one way still teaches.
    advantage: { estimator: 'rae', decay: 0.95 },
    dropZeroStd: false,
    loss: { policyLoss: 'ppo', epsClip: 0.2, epsClipHigh: 0.28 },
  },
  // 64 hands a step, each dealt twice; a hand is at most 3 turns (2 for player 0, 1 for player 1).
  rollout: { batchSize: 64, nSamplesPerPrompt: 2, sampling: { temperature: 1, top_k: -1, max_new_tokens: 2048 }, maxTurns: 3, concurrency: 256 },
  eval: { every: 20, greedy: true },
  train: { mode: 'sync', steps: 400, saveEvery: 50, seed: 42 },
  runDir: 'runs/qwen3-4b-selfplay',
});
