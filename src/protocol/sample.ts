/**
 * The Sample record (docs/architecture.md, contract 4): slime's `Sample` fields in camelCase, plus per-span
 * provenance and the agent role. Mirrored in trainer/physarum_trainer/protocol.py; the two are
 * kept equal by the shared vectors in tests/vectors/.
 */
import { z } from 'zod';

export const SAMPLE_SCHEMA_VERSION = 1;

/** Every sample ends with exactly one of these (contract 3). */
export const SampleStatus = z.enum([
  'completed',
  'truncated',
  'aborted',
  'env_error',
  'sandbox_error',
  'model_error',
  'tool_timeout',
  'verifier_error',
]);
export type SampleStatus = z.infer<typeof SampleStatus>;

/** Statuses that are the policy's own doing and so take part in advantages. */
export const TRAINABLE_STATUSES: ReadonlySet<SampleStatus> = new Set(['completed', 'truncated']);

/** Infrastructure failures: excluded from advantages and counted, never turned into reward 0. */
export function isInfrastructureFailure(status: SampleStatus): boolean {
  return status === 'env_error' || status === 'sandbox_error' || status === 'model_error' || status === 'verifier_error';
}

/** Where a run of tokens came from. Only `sampled` spans are trainable (loss mask 1). */
export const SpanKind = z.enum(['prompt', 'sampled', 'tool', 'user', 'scaffold']);
export type SpanKind = z.infer<typeof SpanKind>;

/** A half-open range [start, end) of `tokens` with its provenance. */
export const Span = z.object({
  kind: SpanKind,
  start: z.number().int().nonnegative(),
  end: z.number().int().nonnegative(),
  turn: z.number().int().nonnegative(),
  /** For sampled spans: the engine's weight_version when these tokens were generated. */
  weightVersion: z.string().optional(),
  /** For tool spans: the tool's name. */
  toolName: z.string().optional(),
});
export type Span = z.infer<typeof Span>;

export const ToolCallRecord = z.object({
  id: z.string(),
  name: z.string(),
  arguments: z.unknown(),
});

export const ChatMessageRecord = z.object({
  role: z.enum(['system', 'user', 'assistant', 'tool']),
  content: z.string(),
  reasoningContent: z.string().optional(),
  toolCalls: z.array(ToolCallRecord).optional(),
  toolCallId: z.string().optional(),
  name: z.string().optional(),
});
export type ChatMessageRecord = z.infer<typeof ChatMessageRecord>;

export const Sample = z
  .object({
    schemaVersion: z.literal(SAMPLE_SCHEMA_VERSION),
    /** Global sample index (slime `index`). */
    index: z.number().int().nonnegative(),
    /** Prompt index: samples of one group share it (slime `group_index`). */
    groupIndex: z.number().int().nonnegative(),
    /** Forks of one episode (template rewrote history, several agents) share it (slime `rollout_id`). */
    rolloutId: z.string().min(1),
    /** 0 for the first sample of a rollout, then 1, 2, ... for each fork. */
    forkIndex: z.number().int().nonnegative().default(0),
    /** The role in a multi-agent episode that produced this sample ("policy" for single-agent). */
    agent: z.string().min(1).default('policy'),
    prompt: z.union([z.string(), z.array(ChatMessageRecord)]),
    label: z.unknown().optional(),
    /** Prompt followed by response ids; the response is the last `responseLength` of them. */
    tokens: z.array(z.number().int().nonnegative()),
    responseLength: z.number().int().nonnegative(),
    /** Decoded response (for people and verifiers; training uses the ids). */
    response: z.string(),
    /** One entry per response token: 1 = trainable (sampled), 0 = tool/user/scaffold. */
    lossMask: z.array(z.union([z.literal(0), z.literal(1)])),
    /** One entry per response token: the sampling log-prob, 0 where lossMask is 0. */
    rolloutLogProbs: z.array(z.number()),
    /** The scalar reward (weighted rubric sum); null when the status excludes it. */
    reward: z.number().nullable(),
    /** Every named reward function and metric of the rubric, weighted or not. */
    rewards: z.record(z.string(), z.number()).default({}),
    status: SampleStatus,
    /** Why the status is not `completed`: the failure, in words. */
    statusReason: z.string().optional(),
    /** The engine weight_version of every generate call, in order. */
    weightVersions: z.array(z.string()),
    spans: z.array(Span),
    /** Number of model turns in this sample. */
    turns: z.number().int().nonnegative(),
    metadata: z.record(z.string(), z.unknown()).default({}),
  })
  .superRefine((s, ctx) => {
    const n = s.responseLength;
    if (n > s.tokens.length) ctx.addIssue({ code: 'custom', message: `responseLength ${n} exceeds tokens.length ${s.tokens.length}` });
    if (s.lossMask.length !== n) ctx.addIssue({ code: 'custom', message: `lossMask has ${s.lossMask.length} entries, responseLength is ${n}` });
    if (s.rolloutLogProbs.length !== n)
      ctx.addIssue({ code: 'custom', message: `rolloutLogProbs has ${s.rolloutLogProbs.length} entries, responseLength is ${n}` });
    for (const span of s.spans) {
      if (span.end < span.start || span.end > s.tokens.length)
        ctx.addIssue({ code: 'custom', message: `span [${span.start}, ${span.end}) is outside tokens (length ${s.tokens.length})` });
    }
  });
export type Sample = z.infer<typeof Sample>;
export type SampleInput = z.input<typeof Sample>;

export function promptLength(sample: Pick<Sample, 'tokens' | 'responseLength'>): number {
  return sample.tokens.length - sample.responseLength;
}
