/**
 * The JSON-serializable state of an interrupted episode. The rollout manager keeps it with the
 * aborted samples and passes it back as `runEpisode({ resume })` to continue where it stopped.
 * Resuming re-runs the step that was in flight: a tool call cut by the abort runs again
 * (at-least-once), and a reply cut mid-generation continues from its sampled tokens.
 */
import { z } from 'zod';
import { InvalidInputError } from '../protocol/errors.ts';
import type { PartialOutput } from './episode-role.ts';
import type { AssistantReply, Message, StepRecord } from './types.ts';

export const EPISODE_SNAPSHOT_VERSION = 1;

export interface EpisodeSnapshot {
  version: typeof EPISODE_SNAPSHOT_VERSION;
  rolloutId: string;
  task: unknown;
  state: unknown;
  turn: number;
  steps: StepRecord[];
  metrics: Record<string, number>;
  roles: Record<string, { messages: Message[]; ledger?: unknown; turns: number; /** Appended to `messages` but not yet to the ledger. */ unledgered?: Message[] }>;
  /** The turn in flight when the abort came. */
  inFlight?: { role: string; phase: 'generate'; partial?: PartialOutput } | { role: string; phase: 'step'; reply: AssistantReply };
}

const Shape = z.object({
  version: z.literal(EPISODE_SNAPSHOT_VERSION),
  rolloutId: z.string(),
  turn: z.number().int().nonnegative(),
  steps: z.array(z.unknown()),
  metrics: z.record(z.string(), z.number()),
  roles: z.record(z.string(), z.object({ messages: z.array(z.unknown()), turns: z.number().int().nonnegative() })),
});

/** Checks a snapshot's outer shape (it may have come from disk); names the bad field. */
export function checkSnapshot(value: unknown): EpisodeSnapshot {
  const result = Shape.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new InvalidInputError(`resume snapshot is invalid at '${issue.path.map(String).join('.') || '(root)'}': ${issue.message}`);
  }
  return structuredClone(value) as EpisodeSnapshot;
}
