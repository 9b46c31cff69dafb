/**
 * Scores every training role and turns its ledger segments into `Sample`s (one per fork, sharing
 * the rolloutId), validated with the protocol schema. Tokens of a turn an abort cut short are appended as a sampled span,
 * so an aborted sample keeps everything that was generated.
 */
import { sampledPieces } from '../chat/ledger-input.ts';
import type { Tokenizer } from '../chat/tokenizer.ts';
import { Sample, SAMPLE_SCHEMA_VERSION, type SampleStatus, type Span } from '../protocol/sample.ts';
import { checkSample } from '../protocol/sample-check.ts';
import type { AgentProgram, AgentRole, GenerateEngine } from './agents.ts';
import { RoleRuntime, type PartialOutput } from './episode-role.ts';
import { describeError, statusForError } from '../protocol/failure-status.ts';
import type { LedgerSegmentLike } from './ledger.ts';
import { scoreEpisode } from './rubric.ts';
import type { Message, StepRecord } from './types.ts';

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
  // One span and one version per generate call behind the cut turn, as the ledger records them.
  const pieces = sampledPieces(partial);
  const spans: Span[] = pieces
    .filter((p) => p.count > 0)
    .map((p) => ({ kind: 'sampled', start: start + p.offset, end: start + p.offset + p.count, turn, weightVersion: p.weightVersion }));
  return {
    ...segment,
    tokens: [...segment.tokens, ...partial.ids],
    lossMask: [...segment.lossMask, ...partial.ids.map(() => 1 as const)],
    logProbs: [...segment.logProbs, ...partial.logProbs],
    spans: [...segment.spans, ...spans],
    weightVersions: [...segment.weightVersions, ...pieces.map((p) => p.weightVersion)],
  };
}

function promptMessages(messages: readonly Message[]): Message[] {
  const firstReply = messages.findIndex((m) => m.role === 'assistant');
  return firstReply < 0 ? [...messages] : messages.slice(0, firstReply);
}

/**
 * The sample as the schema passes it: the fast check (plain loops over the long arrays, which a
 * zod parse walks element by element and copies), and zod's own error where it fails.
 */
function validSample(input: Record<string, unknown>): Sample {
  const checked = checkSample(input);
  return checked.ok ? checked.sample : Sample.parse(input);
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
    return validSample({
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

export interface ScoreRolesInput {
  program: AgentProgram<any, any>;
  /** The episode's roles: the env's, with the run's overrides (`RunEpisodeOptions.roles`). */
  roleSpecs: Readonly<Record<string, AgentRole>>;
  roles: ReadonlyMap<string, RoleRuntime>;
  task: unknown;
  state: unknown;
  steps: readonly StepRecord[];
  status: SampleStatus;
  statusReason: string | undefined;
  signal: AbortSignal;
  sandbox: unknown;
  verificationRoom: () => Promise<any>;
  /** The episode ended on a failure the agent caused: a rubric that cannot score the state gives 0. */
  agentFailure?: boolean;
  tokenizer: Tokenizer;
  /** For roles that never started (reset failed): an empty runtime still yields a sample. */
  fallbackEngine: GenerateEngine;
  opening: Record<string, Message[]>;
  /** Tokens of the turn an abort cut short, and whose they are. */
  partial: { role: string; output: PartialOutput } | undefined;
  fields: Pick<SampleFields, 'index' | 'groupIndex' | 'rolloutId' | 'metadata'>;
}

/** Rubric per training role (only `completed`/`truncated` episodes are scored), then samples. */
export async function scoreRoles(input: ScoreRolesInput): Promise<Sample[]> {
  const { program, status, signal } = input;
  const training = Object.keys(input.roleSpecs).filter((n) => input.roleSpecs[n]!.trains ?? true);
  const samples: Sample[] = [];
  for (const [roleIndex, name] of training.entries()) {
    const role = input.roles.get(name) ?? new RoleRuntime(name, input.roleSpecs[name]!, input.fallbackEngine, input.opening[name] ?? [], undefined);
    let reward: number | null = null;
    let rewards: Record<string, number> = {};
    let roleStatus = status;
    let roleReason = input.statusReason;
    if (status === 'completed' || status === 'truncated') {
      try {
        const completion = [...role.messages].reverse().find((m) => m.role === 'assistant')?.content ?? '';
        ({ reward, rewards } = await scoreEpisode(program.rubric, {
          task: input.task, state: input.state, messages: role.messages, steps: input.steps, completion, role: name, status, sandbox: input.sandbox, verificationRoom: input.verificationRoom, signal,
        }));
      } catch (error) {
        if (input.agentFailure && !signal.aborted) {
          // The agent broke its own sandbox: there is no state left to score, and that is on the policy.
          reward = 0;
          rewards = {};
        } else {
          roleStatus = statusForError(error, signal) === 'aborted' ? 'aborted' : 'verifier_error';
          roleReason = describeError(error);
          reward = null;
        }
      }
    }
    const fields: SampleFields = {
      ...input.fields,
      // `rolloutId` names the episode (every role and fork shares it); `index` is the sample's own:
      // the slot's index spread over the training roles, so every run of one env numbers apart.
      index: input.fields.index * training.length + roleIndex,
      label: program.label(input.task),
      status: roleStatus,
      statusReason: roleReason,
      reward,
      rewards,
      opening: input.opening[name] ?? [],
    };
    samples.push(...buildSamples(role, input.tokenizer, fields, input.partial?.role === name ? input.partial.output : undefined));
  }
  return samples;
}
