/**
 * What one rollout step did, in counts: accepted groups, drops by filter reason, infrastructure
 * failures by status, groups aborted at the end of the step and how many were carried over or
 * resumed. A failure is never folded into a reward, so this report is where it shows.
 */
import { isInfrastructureFailure, type Sample, type SampleStatus } from '../protocol/sample.ts';
import { emptyTally, formatTally, type SampleTally } from './sample-tally.ts';

export type StatusCounts = Partial<Record<SampleStatus, number>>;

export interface StepReport {
  step: number;
  /** Groups the step asked for (batch size). */
  target: number;
  /** Groups handed to `onGroup`. */
  accepted: number;
  /** Fresh groups started this step. */
  started: number;
  /** Groups carried from an earlier step and resumed in this one. */
  resumed: number;
  /** Prompts started again after their group failed on infrastructure (`retryFailedGroups`). */
  retried: number;
  /** Groups dropped by dynamic filters, by reason. */
  dropped: Record<string, number>;
  /** Groups a filter dropped with `keepWhenInsufficient` that were used to fill the step. */
  keptWhenInsufficient: number;
  /** Groups with an infrastructure failure: each counted once under every failure status it holds. */
  failedGroups: StatusCounts;
  /** Samples with an infrastructure failure, by status. */
  failedSamples: StatusCounts;
  /** Whether failed groups were dropped (default) or kept with their failures marked. */
  failedGroupPolicy: 'drop' | 'keep';
  /** Groups still in flight when the step had enough, and their samples. */
  aborted: { groups: number; samples: number };
  /** Of the aborted groups, those kept to resume next step (partial rollout). */
  carried: number;
  /** Status of every sample in the accepted groups. */
  statuses: StatusCounts;
  /** Response tokens masked because they were generated under an older policy. */
  offPolicyMaskedTokens: number;
  /** Set when `/abort_request` did not reach every engine. */
  engineAbortError?: string;
  /** The prompt source ran out (numEpochs) before the step was full. */
  exhausted: boolean;
  /** Every sample the step handed out, to `onGroup` or `onDiscard`: statuses, reward mean, tokens. */
  samples: SampleTally;
  /** Wall time of the step. */
  seconds: number;
}

export function emptyReport(step: number, target: number, failedGroupPolicy: 'drop' | 'keep'): StepReport {
  return {
    step,
    target,
    accepted: 0,
    started: 0,
    resumed: 0,
    retried: 0,
    dropped: {},
    keptWhenInsufficient: 0,
    failedGroups: {},
    failedSamples: {},
    failedGroupPolicy,
    aborted: { groups: 0, samples: 0 },
    carried: 0,
    statuses: {},
    offPolicyMaskedTokens: 0,
    exhausted: false,
    samples: emptyTally(),
    seconds: 0,
  };
}

export function increment<K extends string>(counts: Partial<Record<K, number>>, key: K, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

/** The infrastructure-failure statuses present in a group (empty when it is clean). */
export function failureStatuses(samples: readonly Sample[]): SampleStatus[] {
  return [...new Set(samples.map((s) => s.status).filter(isInfrastructureFailure))];
}

/** `a=1,b=2`, or `none`. */
export function formatCounts(counts: Record<string, number | undefined>): string {
  return (
    Object.entries(counts)
      .map(([k, v]) => `${k}=${v}`)
      .join(',') || 'none'
  );
}

/**
 * For logs: one line of group counts (`step 3: accepted 8/8, dropped zero_std_1=2, failed
 * sandbox_error=1, ...`), then three lines over the samples handed out (reward mean, statuses,
 * tokens and time).
 */
export function formatReport(report: StepReport): string {
  return `${formatGroupCounts(report)}\n${formatTally(report.samples, report.seconds)}`;
}

function formatGroupCounts(report: StepReport): string {
  const pairs = formatCounts;
  return [
    `step ${report.step}: accepted ${report.accepted}/${report.target}`,
    `started ${report.started}`,
    `resumed ${report.resumed}`,
    ...(report.retried > 0 ? [`retried ${report.retried}`] : []),
    `dropped ${pairs(report.dropped)}`,
    `failed ${pairs(report.failedGroups)}`,
    `aborted ${report.aborted.groups} (carried ${report.carried})`,
    ...(report.exhausted ? ['data exhausted'] : []),
  ].join(', ');
}
