/**
 * What the driver needs from the trainer worker: the verbs of the trainer RPC it calls
 * (CONTRACT-trainer-rpc.md), as an interface. `TrainerClient` (trainer-client.ts) is the real one;
 * tests may hand the loop a double. Also: the worker's `init` config derived from a recipe.
 */
import { availableParallelism } from 'node:os';
import type { Recipe } from './recipe.ts';

export interface TrainStepMetrics {
  [name: string]: number;
}

export interface TrainerPort {
  init(config: Record<string, unknown>, options?: { signal?: AbortSignal }): Promise<Record<string, unknown>>;
  trainStep(
    frame: Uint8Array,
    args: { step: number; temperature?: number; loss?: Record<string, unknown> },
    options?: { signal?: AbortSignal },
  ): Promise<{ step: number; metrics: TrainStepMetrics }>;
  save(args: { dir: string; step: number; cursor: unknown }): Promise<{ dir: string }>;
  load(args: { dir: string }): Promise<{ step: number; cursor: unknown }>;
  exportWeights(args: { format: 'gguf' | 'hf'; dir: string; version: number }): Promise<{ path: string; format: string; bytes: number; seconds: number }>;
  shutdown(): Promise<unknown>;
}

/**
 * torch's intra-op threads for the worker: the recipe's `trainer.threads`; else, for an async run
 * training on the CPU of a machine with at least 4 cores, one core fewer than it has, so the
 * rollout that overlaps the train step (the driver's episodes, a local engine) has a core; else
 * torch's own default. On 2 or 3 cores giving up a core costs more than sharing it: measured idle on
 * 2 cores, an overlapped step took 2.6 s with 1 thread and 2.0–2.3 s with 2 (1.45 s alone).
 */
export function workerThreads(recipe: Recipe, cores = availableParallelism()): number | undefined {
  if (recipe.trainer.threads !== undefined) return recipe.trainer.threads;
  if (recipe.train.mode === 'async' && recipe.trainer.device === 'cpu' && recipe.algorithm.kind !== 'sft' && cores >= 4) return cores - 1;
  return undefined;
}

/** The worker's `init` record for a recipe (`modelPath`: the HF directory the run trains). */
export function workerInitConfig(recipe: Recipe, modelPath: string): Record<string, unknown> {
  const t = recipe.trainer;
  const threads = workerThreads(recipe);
  const loss = { ...recipe.algorithm.loss, ...(recipe.algorithm.kind === 'sft' ? { policyLoss: 'sft' } : {}) };
  return {
    backend: t.backend,
    model: { path: modelPath },
    device: t.device,
    ...(t.dtype ? { dtype: t.dtype } : {}),
    seed: recipe.train.seed,
    optimizer: { name: 'adamw', ...t.optimizer },
    ...(t.scheduler ? { scheduler: t.scheduler } : {}),
    loss,
    reference: t.reference,
    ...(t.lora ? { lora: t.lora } : {}),
    ...(t.parallelism ? { parallelism: t.parallelism } : {}),
    ...(t.microBatchTokens ? { microBatchTokens: t.microBatchTokens } : {}),
    ...(t.activationCheckpointing !== undefined ? { activationCheckpointing: t.activationCheckpointing } : {}),
    ...(threads !== undefined ? { threads } : {}),
    ...(Object.keys(t.megatron).length > 0 ? { megatron: t.megatron } : {}),
  };
}

/** Megatron flags from the command line (`--megatron-<flag> [value]`) into `trainer.megatron`. */
export function megatronFlags(passthrough: Record<string, string | true>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [name, value] of Object.entries(passthrough)) {
    if (!name.startsWith('megatron-')) continue;
    const flag = name.slice('megatron-'.length);
    out[flag] = value === true ? true : value !== '' && Number.isFinite(Number(value)) ? Number(value) : value;
  }
  return out;
}
