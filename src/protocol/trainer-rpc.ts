/**
 * The trainer worker's RPC records (DESIGN.md contract 5): what the driver sends to
 * `python -m physarum_trainer.worker` and what comes back. Mirrored in
 * trainer/physarum_trainer/worker/records.py; tests/vectors/trainer-rpc.json keeps the two equal
 * (same defaults, same rejections). Fields are camelCase on the wire; unknown fields are refused.
 * The batch itself travels as the trainer-batch frame (src/buffer/wire.ts), never as JSON.
 */
import { z } from 'zod';
import type { ErrorCode } from './errors.ts';

const positive = z.number().positive();
const nonNegative = z.number().nonnegative();
const posInt = z.number().int().positive();

export const ClipMode = z.enum(['off', 'token', 'sequence']);

/** Loss and its parameters, shared by both backends (defaults as slime's). */
export const LossConfig = z
  .object({
    policyLoss: z.enum(['ppo', 'gspo', 'cispo', 'reinforce', 'sft']).default('ppo'),
    epsClip: nonNegative.default(0.2),
    /** DAPO's clip-higher; defaults to epsClip. */
    epsClipHigh: nonNegative.nullable().default(null),
    /** Dual clip constant c > 1 (null: off). */
    dualClipC: z.number().gt(1).nullable().default(null),
    aggregation: z.enum(['token_mean', 'seq_mean_token_mean', 'seq_mean_token_sum_norm']).default('token_mean'),
    /** Dr.GRPO's constant (null: the batch's longest response). */
    aggregationConstant: positive.nullable().default(null),
    tis: z
      .object({ mode: ClipMode.default('off'), clipLow: nonNegative.default(0), clipHigh: positive.default(2) })
      .strict()
      .default({ mode: 'off', clipLow: 0, clipHigh: 2 }),
    mis: z
      .object({ mode: ClipMode.default('off'), low: nonNegative.default(0.5), high: positive.default(2) })
      .strict()
      .default({ mode: 'off', low: 0.5, high: 2 }),
    kl: z
      .object({ coef: nonNegative.default(0), type: z.enum(['k1', 'k2', 'k3']).default('k3') })
      .strict()
      .default({ coef: 0, type: 'k3' }),
    entropyCoef: z.number().default(0),
    temperature: positive.default(1),
  })
  .strict();
export type LossConfig = z.infer<typeof LossConfig>;
export type LossConfigInput = z.input<typeof LossConfig>;

/** A per-step override: only the fields given replace the init's loss (no defaults filled at top level). */
export const LossOverride = z
  .object(Object.fromEntries(Object.entries(LossConfig.shape).map(([k, v]) => [k, v.unwrap().optional()])) as {
    [K in keyof typeof LossConfig.shape]: z.ZodOptional<ReturnType<(typeof LossConfig.shape)[K]['unwrap']>>;
  })
  .strict();
export type LossOverride = z.input<typeof LossOverride>;

export const OptimizerConfig = z
  .object({
    name: z.literal('adamw').default('adamw'),
    lr: positive.default(1e-5),
    betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).default([0.9, 0.999]),
    eps: positive.default(1e-8),
    weightDecay: nonNegative.default(0),
    /** Gradient-norm clip (null: no clipping). */
    clipGrad: positive.nullable().default(1),
  })
  .strict();

/** Linear warmup, then cosine decay to minLr over decaySteps (null: constant after warmup). */
export const SchedulerConfig = z
  .object({
    warmupSteps: z.number().int().nonnegative().default(0),
    minLr: nonNegative.default(0),
    decaySteps: posInt.nullable().default(null),
  })
  .strict();

export const TinyModelSpec = z
  .object({
    layers: posInt,
    hidden: z.number().int().min(8),
    heads: posInt.optional(),
    vocab: z.literal('bytes').default('bytes'),
    seed: z.number().int().nonnegative().default(0),
  })
  .strict();

export const WorkerInitConfig = z
  .object({
    backend: z.enum(['torch_hf', 'megatron']),
    model: z.union([z.object({ path: z.string().min(1) }).strict(), z.object({ tiny: TinyModelSpec }).strict()]),
    device: z.enum(['cpu', 'cuda', 'auto']).default('auto'),
    /** Default: float32 on CPU, bfloat16 on GPU. */
    dtype: z.enum(['float32', 'bfloat16']).optional(),
    seed: z.number().int().nonnegative(),
    optimizer: OptimizerConfig.default({ name: 'adamw', lr: 1e-5, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, clipGrad: 1 }),
    scheduler: SchedulerConfig.default({ warmupSteps: 0, minLr: 0, decaySteps: null }),
    loss: LossConfig.optional(),
    reference: z.union([z.enum(['none', 'initial']), z.object({ path: z.string().min(1) }).strict()]).default('none'),
    lora: z
      .object({ r: posInt, alpha: positive, dropout: z.number().min(0).lt(1).default(0), targetModules: z.array(z.string().min(1)).min(1) })
      .strict()
      .optional(),
    parallelism: z.object({ tp: posInt.default(1), pp: posInt.default(1), dp: posInt.optional() }).strict().default({ tp: 1, pp: 1 }),
    /** Split each frame micro-batch further so no forward sees more tokens than this. */
    microBatchTokens: posInt.optional(),
    /** Refuse (PHYSARUM_TRAINER_MEMORY_BUDGET) a micro-batch with more tokens than this. */
    memoryBudgetTokens: posInt.optional(),
    activationCheckpointing: z.boolean().default(false),
    /**
     * Intra-op threads of torch on the CPU (torch.set_num_threads); default: torch's own choice
     * (one per core). Fewer leave cores to work that overlaps training (an async rollout).
     */
    threads: posInt.optional(),
    megatron: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();
export type WorkerInitConfig = z.infer<typeof WorkerInitConfig>;
export type WorkerInitInput = z.input<typeof WorkerInitConfig>;

export const InitResult = z.object({
  backend: z.string(),
  device: z.string(),
  dtype: z.string(),
  worldSize: posInt,
  parameters: z.number().int().nonnegative(),
  trainableParameters: z.number().int().nonnegative(),
  modelType: z.string(),
  vocabSize: posInt,
  /** torch's intra-op threads in the worker after init (torch.get_num_threads()). */
  threads: posInt.optional(),
});
export type InitResult = z.infer<typeof InitResult>;

export const ComputeLogprobsArgs = z
  .object({ model: z.enum(['actor', 'reference']).default('actor'), temperature: positive.optional() })
  .strict();
export type ComputeLogprobsArgs = z.input<typeof ComputeLogprobsArgs>;

export const TrainStepArgs = z
  .object({ step: z.number().int().nonnegative(), temperature: positive.optional(), loss: LossOverride.optional() })
  .strict();
export type TrainStepArgs = z.input<typeof TrainStepArgs>;

/** Every metric is a finite number (a non-finite loss fails the step on the worker). */
export const TrainMetrics = z
  .object({
    loss: z.number(),
    pg_loss: z.number(),
    kl_loss: z.number(),
    entropy_loss: z.number(),
    clipfrac: z.number(),
    clipfrac_low: z.number(),
    clipfrac_high: z.number(),
    approx_kl: z.number(),
    entropy: z.number(),
    grad_norm: z.number(),
    train_rollout_logprob_abs_diff: z.number(),
    tis_weight_mean: z.number(),
    tis_clipfrac: z.number(),
    mis_dropfrac: z.number(),
    lr: z.number(),
    tokens: z.number(),
    samples: z.number(),
    tokens_per_s: z.number(),
    step_s: z.number(),
    frame_decode_s: z.number(),
    peak_memory_mb: z.number(),
  })
  .catchall(z.number());
export type TrainMetrics = z.infer<typeof TrainMetrics>;

export const TrainStepResult = z.object({ step: z.number().int(), metrics: TrainMetrics });
export type TrainStepResult = z.infer<typeof TrainStepResult>;

export const SaveArgs = z.object({ dir: z.string().min(1), step: z.number().int().nonnegative(), cursor: z.unknown().default(null) }).strict();
export type SaveArgs = z.input<typeof SaveArgs>;
export const LoadArgs = z.object({ dir: z.string().min(1) }).strict();
export const LoadResult = z.object({ step: z.number().int(), cursor: z.unknown() });
export type LoadResult = z.infer<typeof LoadResult>;

export const ExportWeightsArgs = z
  .object({ format: z.enum(['gguf', 'hf']), dir: z.string().min(1), version: z.number().int().nonnegative() })
  .strict();
export type ExportWeightsArgs = z.input<typeof ExportWeightsArgs>;
export const ExportWeightsResult = z.object({ path: z.string(), format: z.enum(['gguf', 'hf']), bytes: z.number().int(), seconds: z.number() });
export type ExportWeightsResult = z.infer<typeof ExportWeightsResult>;

export const WorkerStats = z.object({
  initialized: z.boolean(),
  step: z.number().int().nullable(),
  backend: z.string().nullable(),
  device: z.string().nullable(),
  tokensTrained: z.number().int(),
  peakMemoryMb: z.number(),
  uptimeS: z.number(),
});
export type WorkerStats = z.infer<typeof WorkerStats>;

export const TRAINER_ERROR_CODES = [
  'PHYSARUM_INVALID_INPUT',
  'PHYSARUM_WIRE',
  'PHYSARUM_TRAINER_NOT_INITIALIZED',
  'PHYSARUM_TRAINER_MODEL_NOT_FOUND',
  'PHYSARUM_TRAINER_MEMORY_BUDGET',
  'PHYSARUM_TRAINER_RANK_FAILED',
  'PHYSARUM_TRAINER_CHECKPOINT',
  'PHYSARUM_TRAINER_BACKEND_UNAVAILABLE',
  'PHYSARUM_TRAINER',
] as const satisfies readonly ErrorCode[]; // the codes a worker may answer: a subset of the project's

export const WorkerErrorBody = z.object({
  ok: z.literal(false),
  error: z.object({ code: z.string(), message: z.string(), rank: z.number().int().nullable(), verb: z.string() }),
});
export type WorkerErrorBody = z.infer<typeof WorkerErrorBody>;

export const TRAINER_VERBS = ['init', 'compute_logprobs', 'train_step', 'save', 'load', 'export_weights', 'stats', 'shutdown'] as const;
export type TrainerVerb = (typeof TRAINER_VERBS)[number];

/** The content type of a trainer-batch frame body; its small arguments ride in `physarum-args`. */
export const FRAME_CONTENT_TYPE = 'application/vnd.physarum.trainer-batch';
export const ARGS_HEADER = 'physarum-args';
/** The one stdout line rank 0 prints when it listens. */
export const READY_PREFIX = 'PHYSARUM_WORKER_READY ';

/** Request records by verb, for the shared vectors and the client. */
export const REQUEST_RECORDS = {
  WorkerInitConfig,
  LossConfig,
  ComputeLogprobsArgs,
  TrainStepArgs,
  SaveArgs,
  LoadArgs,
  ExportWeightsArgs,
} as const;
