/**
 * What the episode runner needs from the chat module's TokenLedger (src/chat), as an interface so
 * the runner depends on the contract, not the class. `segments()` gives one entry per fork.
 */
import type { SampledPiece } from '../chat/ledger-input.ts';
import type { Span } from '../protocol/sample.ts';
import type { Message } from './types.ts';

export interface LedgerSegmentLike {
  forkIndex: number;
  tokens: number[];
  promptLength: number;
  /** One entry per response token (tokens after promptLength). */
  lossMask: Array<0 | 1>;
  /** One entry per response token. */
  logProbs: number[];
  spans: Span[];
  weightVersions: string[];
  turns: number;
  messages: Message[];
}

export interface EpisodeLedger {
  start(messages: Message[]): void;
  /** The prompt for the next generate call (history plus the generation prompt). */
  readonly inputIds: readonly number[];
  appendSampled(turn: { ids: number[]; logProbs: number[]; weightVersion: string; earlier?: SampledPiece[]; message: Message }): void;
  appendMessages(messages: Message[]): void;
  /** Forks opened after the first segment (0 while history stayed append-only). */
  readonly forkCount: number;
  readonly totalTokens: number;
  segments(): LedgerSegmentLike[];
  snapshot(): unknown;
}
