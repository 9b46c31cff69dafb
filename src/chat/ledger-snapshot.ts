/**
 * The TokenLedger's state as plain JSON (for partial-rollout resume), and its schema: a snapshot
 * read back from disk or another process is checked before a ledger is rebuilt from it.
 */
import { z } from 'zod';
import { ChatMessageRecord, Span } from '../protocol/sample.ts';

export const LEDGER_SNAPSHOT_VERSION = 1;

const TokenId = z.number().int().nonnegative();

/** What the ledger remembers of the last sampled turn of the current fork. */
export const LastSampleState = z.object({
  /** The render the model was prompted with (ends with the generation prompt). */
  promptRender: z.string(),
  /** History length just after the sampled assistant message. */
  historyLength: z.number().int().nonnegative(),
  /** The last sampled id, when it is a stop token (EOS, or one of `stopTokenIds`). */
  stopTokenId: TokenId.optional(),
});
export type LastSampleState = z.infer<typeof LastSampleState>;

export const ForkState = z.object({
  /** Tokens through the fork's last sampled turn (or none before its first one). */
  tokens: z.array(TokenId),
  lossMask: z.array(z.union([z.literal(0), z.literal(1)])),
  logProbs: z.array(z.number()),
  spans: z.array(Span),
  weightVersions: z.array(z.string()),
  turns: z.number().int().nonnegative(),
  /** Set when the fork's first turn is sampled. */
  promptLength: z.number().int().nonnegative().optional(),
  /** How many history messages this fork covers. */
  historyEnd: z.number().int().nonnegative(),
  /** Why this fork was opened (absent for fork 0). */
  forkReason: z.string().optional(),
  lastSample: LastSampleState.optional(),
});
export type ForkState = z.infer<typeof ForkState>;

/** Non-sampled tokens after the last sampled turn: recomputed until the next turn is sampled. */
export const TailState = z.object({
  text: z.string(),
  tokens: z.array(TokenId),
  spans: z.array(Span),
});
export type TailState = z.infer<typeof TailState>;

export const LedgerSnapshot = z
  .object({
    version: z.literal(LEDGER_SNAPSHOT_VERSION),
    history: z.array(ChatMessageRecord),
    forks: z.array(ForkState).min(1),
    tail: TailState,
    /** The full render whose suffix the tail is. */
    lastRender: z.string(),
    awaitingGeneration: z.boolean(),
    /** Model turns so far, across forks. */
    turnIndex: z.number().int().nonnegative(),
  })
  .superRefine((s, ctx) => {
    s.forks.forEach((fork, i) => {
      if (fork.lossMask.length !== fork.tokens.length || fork.logProbs.length !== fork.tokens.length)
        ctx.addIssue({ code: 'custom', path: ['forks', i], message: 'tokens, lossMask and logProbs differ in length' });
      if (fork.historyEnd > s.history.length)
        ctx.addIssue({ code: 'custom', path: ['forks', i, 'historyEnd'], message: `exceeds history length ${s.history.length}` });
    });
  });
export type LedgerSnapshot = z.infer<typeof LedgerSnapshot>;
