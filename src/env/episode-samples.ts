/**
 * Turns a role's ledger segments into `Sample`s (one per fork, sharing the rolloutId), validated
 * with the protocol schema. Tokens of a turn an abort cut short are appended as a sampled span,
 * so an aborted sample keeps everything that was generated.
 */
import type { Tokenizer } from '../chat/tokenizer.ts';
import { Sample, SAMPLE_SCHEMA_VERSION, type SampleStatus, type Span } from '../protocol/sample.ts';
import type { PartialOutput, RoleRuntime } from './episode-role.ts';
import type { LedgerSegmentLike } from './ledger.ts';
import type { Message } from './types.ts';

export interface SampleFields {
  index: number;
  groupIndex: number;
  rolloutId: string;
  label: unknown;
  status: SampleStatus;
  statusReason: string | undefined;
  reward: number | null;
  rewards: Record<string, number>;
  metadata: Record<string, unknown>;
  /** The role's opening messages (the prompt when the ledger never started). */
  opening: Message[];
}

function withPartial(segment: LedgerSegmentLike, partial: PartialOutput | undefined, turn: number): LedgerSegmentLike {
  if (!partial || partial.ids.length === 0) return segment;
  const start = segment.tokens.length;
  const span: Span = { kind: 'sampled', start, end: start + partial.ids.length, turn, weightVersion: partial.weightVersion };
  return {
    ...segment,
    tokens: [...segment.tokens, ...partial.ids],
    lossMask: [...segment.lossMask, ...partial.ids.map(() => 1 as const)],
    logProbs: [...segment.logProbs, ...partial.logProbs],
    spans: [...segment.spans, span],
    weightVersions: [...segment.weightVersions, partial.weightVersion],
  };
}

function promptMessages(messages: readonly Message[]): Message[] {
  const firstReply = messages.findIndex((m) => m.role === 'assistant');
  return firstReply < 0 ? [...messages] : messages.slice(0, firstReply);
}

export function buildSamples(role: RoleRuntime, tokenizer: Tokenizer, fields: SampleFields, partial?: PartialOutput): Sample[] {
  const segments = role.ledger?.segments() ?? [];
  const base = {
    schemaVersion: SAMPLE_SCHEMA_VERSION,
    index: fields.index,
    groupIndex: fields.groupIndex,
    rolloutId: fields.rolloutId,
    agent: role.name,
    label: fields.label,
    reward: fields.reward,
    rewards: fields.rewards,
    status: fields.status,
    ...(fields.statusReason !== undefined ? { statusReason: fields.statusReason } : {}),
  };
  if (segments.length === 0) {
    // The episode failed before the ledger held anything: one empty sample keeps the failure visible.
    const sample = {
      ...base, forkIndex: 0, prompt: fields.opening, tokens: [], responseLength: 0, response: '', lossMask: [], rolloutLogProbs: [],
      weightVersions: [], spans: [], turns: 0, metadata: { ...fields.metadata, forkCount: 0 },
    };
    return [Sample.parse(sample)];
  }
  return segments.map((raw, i) => {
    const segment = i === segments.length - 1 ? withPartial(raw, partial, role.turns) : raw;
    const response = segment.tokens.slice(segment.promptLength);
    return Sample.parse({
      ...base,
      forkIndex: segment.forkIndex,
      prompt: promptMessages(segment.messages),
      tokens: segment.tokens,
      responseLength: response.length,
      response: tokenizer.decode(response),
      lossMask: segment.lossMask,
      rolloutLogProbs: segment.logProbs,
      weightVersions: segment.weightVersions,
      spans: segment.spans,
      turns: segment.turns,
      metadata: { ...fields.metadata, forkCount: segments.length },
    });
  });
}
