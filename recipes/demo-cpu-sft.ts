/**
 * The CPU demo's warm start: SFT of a tiny byte-vocabulary Qwen3 (2 layers, hidden 128, about
 * half a million parameters, made by `physarum model init`) on 2-digit addition conversations,
 * until greedy held-out exact match reaches 0.25 (a weaker start leaves GRPO with almost only
 * zero-std groups). Its final weights (runs/demo/sft/final) are where recipes/demo-cpu.ts starts.
 */
import { defineRecipe } from '../src/driver/recipe.ts';

export default defineRecipe({
  name: 'demo-cpu-sft',
  env: 'envs/addition',
  data: { train: 'envs/addition/sft.jsonl', heldOut: 'envs/addition/held-out.jsonl' },
  model: { tiny: { layers: 2, hidden: 128, seed: 0 } },
  engine: { kind: 'embedded', threads: 1, sequences: 32, contextSize: 64 },
  trainer: { backend: 'torch_hf', device: 'cpu', optimizer: { lr: 1e-3 } },
  algorithm: { kind: 'sft' },
  rollout: { batchSize: 32, nSamplesPerPrompt: 1, sampling: { temperature: 1, top_k: -1, max_new_tokens: 5 } },
  eval: { every: 40, greedy: true },
  train: { steps: 600, sftBatchSize: 64, stopAtReward: 0.25, saveEvery: 50, seed: 7 },
  runDir: 'runs/demo/sft',
});
