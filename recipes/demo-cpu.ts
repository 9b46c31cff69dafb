/**
 * The CPU demo: GRPO on 2-digit addition from the SFT warm start (recipes/demo-cpu-sft.ts), on
 * two CPU cores. The embedded llama.cpp engine samples (one thread, top-k off: true temperature
 * 1), the torch_hf worker trains; the sync loop alternates them, so they never fight for the
 * cores. G = 8 samples per prompt, 32 prompts a step, AdamW lr 1e-4, no KL, zero-std groups
 * dropped; held-out exact match (greedy) every 5 steps.
 */
import { defineRecipe } from '../src/driver/recipe.ts';

export default defineRecipe({
  name: 'demo-cpu',
  env: 'envs/addition',
  data: { train: 'envs/addition/train.jsonl', heldOut: 'envs/addition/held-out.jsonl' },
  model: { path: 'runs/demo/sft/final' },
  engine: { kind: 'embedded', threads: 1, sequences: 32, contextSize: 64 },
  trainer: { backend: 'torch_hf', device: 'cpu', optimizer: { lr: 1e-4 } },
  algorithm: { kind: 'rl', normalization: 'grpo', dropZeroStd: true, loss: { policyLoss: 'ppo', kl: { coef: 0 } } },
  rollout: { batchSize: 32, nSamplesPerPrompt: 8, sampling: { temperature: 1, top_k: -1, max_new_tokens: 5 }, concurrency: 64 },
  eval: { every: 5, greedy: true },
  train: { mode: 'sync', steps: 60, saveEvery: 10, seed: 7 },
  runDir: 'runs/demo/grpo',
});
