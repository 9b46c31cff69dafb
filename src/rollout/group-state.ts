/**
 * A group in flight: one prompt and its n episode slots. Everything here is plain JSON so a group
 * cut off by an abort can be carried to the next step, persisted by the Data Buffer and restored
 * after a restart (slime keeps these in its in-memory buffer; we make them durable).
 */
import { z } from 'zod';
import { Sample, SAMPLE_SCHEMA_VERSION, type SampleStatus } from '../protocol/sample.ts';
import { PromptRecord } from './prompt-record.ts';

export const RolloutSlot = z.object({
  slot: z.number().int().nonnegative(),
  /** Finished samples (done) or the partial, `aborted` samples to resume from. */
  samples: z.array(Sample),
  /** The episode runner's resume point, when it gave one. */
  snapshot: z.unknown().optional(),
  done: z.boolean(),
});
export type RolloutSlot = z.infer<typeof RolloutSlot>;

export const RolloutGroup = z.object({
  groupIndex: z.number().int().nonnegative(),
  prompt: PromptRecord,
  epoch: z.number().int().nonnegative(),
  datasetIndex: z.number().int().nonnegative(),
  /** The rollout step that first started this group (slime's `start_rollout_id`). */
  startStep: z.number().int().nonnegative(),
  /** How many times the group was cut off and resumed. */
  resumes: z.number().int().nonnegative(),
  /** 0 for the first try of this prompt; n for its n-th retry after an infrastructure failure. */
  attempt: z.number().int().nonnegative().default(0),
  slots: z.array(RolloutSlot),
});
export type RolloutGroup = z.infer<typeof RolloutGroup>;

/** Global sample index of a slot: consecutive within a group, as slime numbers them. */
export function sampleIndex(groupIndex: number, slot: number, n: number): number {
  return groupIndex * n + slot;
}

export function rolloutIdFor(groupIndex: number, slot: number): string {
  return `g${groupIndex}-s${slot}`;
}

/**
 * A sample that records a failure with no trajectory behind it: empty response, reward null,
 * the failure in `statusReason`. It keeps the slot's identity so the failure is counted per group.
 */
export function failureSample(options: {
  prompt: PromptRecord;
  groupIndex: number;
  index: number;
  rolloutId: string;
  status: SampleStatus;
  reason: string;
}): Sample {
  return Sample.parse({
    schemaVersion: SAMPLE_SCHEMA_VERSION,
    index: options.index,
    groupIndex: options.groupIndex,
    rolloutId: options.rolloutId,
    // Env task rows carry no prompt text: the failure sample shows the task instead.
    prompt: options.prompt.prompt ?? JSON.stringify(options.prompt.task ?? null),
    label: options.prompt.label,
    tokens: [],
    responseLength: 0,
    response: '',
    lossMask: [],
    rolloutLogProbs: [],
    reward: null,
    status: options.status,
    statusReason: options.reason,
    weightVersions: [],
    spans: [],
    turns: 0,
    metadata: { ...options.prompt.metadata },
  });
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** Close every unfinished slot with a failure sample (its partial samples are replaced, not scored). */
export function failRemainingSlots(state: RolloutGroup, error: unknown, status: SampleStatus): RolloutGroup {
  const n = state.slots.length;
  return {
    ...state,
    slots: state.slots.map((slot) =>
      slot.done
        ? slot
        : {
            slot: slot.slot,
            done: true,
            samples: [
              failureSample({
                prompt: state.prompt,
                groupIndex: state.groupIndex,
                index: sampleIndex(state.groupIndex, slot.slot, n),
                rolloutId: rolloutIdFor(state.groupIndex, slot.slot),
                status,
                reason: errorMessage(error),
              }),
            ],
          },
    ),
  };
}
