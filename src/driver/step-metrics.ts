/**
 * One step's metrics, as one flat JSON object (a line of metrics.jsonl): what was rolled out
 * (rewards, per rubric item, lengths, status fractions), what the buffer took (zero-std, filtered
 * and stale fractions), what the worker reported (prefixed `train/`), and where the time went.
 */
import type { TakenBatch } from '../buffer/take-batch.ts';
import type { StepReport } from '../rollout/step-report.ts';
import type { TrainStepMetrics } from './trainer-port.ts';

export interface PhaseTimes {
  /** Waiting for this step's rollout (sync: the whole rollout; async: what training did not hide). */
  rollout: number;
  take: number;
  train: number;
  export: number;
  /** pause → flush → update → continue on the engines. */
  sync: number;
  eval: number;
  save: number;
  step: number;
}

export interface StepMetricsInput {
  step: number;
  mode: 'sync' | 'async' | 'sft';
  weightVersion: number;
  report?: StepReport;
  batch: TakenBatch;
  train: TrainStepMetrics;
  times: PhaseTimes;
  /** Rollout wall time of the step's own rollout, for throughput (async: it overlapped training). */
  rolloutSeconds: number;
}

const mean = (xs: readonly number[]): number => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
const std = (xs: readonly number[]): number => {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / xs.length);
};
const round = (x: number): number => (Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : x);

export function stepMetrics(input: StepMetricsInput): Record<string, number | string> {
  const { batch, report, times } = input;
  const all = batch.groups.flatMap((g) => g.samples);
  const samples = all.map((t) => t.sample);
  const rewards = samples.flatMap((s) => (s.reward === null ? [] : [s.reward]));
  const responseLengths = samples.map((s) => s.responseLength);
  const responseTokens = responseLengths.reduce((a, b) => a + b, 0);
  const count = (status: string): number => samples.filter((s) => s.status === status).length;
  const n = Math.max(1, samples.length);
  const counts = batch.counts;
  const droppedZeroStdRollout = report?.dropped.zero_std ?? 0;
  const filteredRollout = Object.values(report?.dropped ?? {}).reduce((a, b) => a + b, 0);
  const consideredGroups = batch.groups.length + (counts.dropped_zero_std ?? 0) + filteredRollout;
  const stale = (counts.stale_dropped ?? 0) + (counts.stale_kept ?? 0);
  const out: Record<string, number | string> = {
    step: input.step,
    mode: input.mode,
    weight_version: input.weightVersion,
    groups: batch.groups.length,
    samples: samples.length,
    trained_samples: batch.samples.length,
    replayed: batch.replayed ? 1 : 0,
    reward_mean: mean(rewards),
    reward_std: std(rewards),
    response_length_mean: mean(responseLengths),
    truncated_frac: count('truncated') / n,
    aborted_frac: count('aborted') / n,
    zero_std_group_frac: (droppedZeroStdRollout + (counts.dropped_zero_std ?? 0)) / Math.max(1, consideredGroups),
    filtered_group_frac: (filteredRollout + (counts.dropped_zero_std ?? 0) + (counts.dropped_no_trainable ?? 0) + (counts.dropped_too_few_trainable ?? 0)) / Math.max(1, consideredGroups),
    stale_frac: stale / n,
    stale_dropped: counts.stale_dropped ?? 0,
    excluded_samples: batch.excluded.length,
    resumed_groups: report?.resumed ?? 0,
    carried_groups: report?.carried ?? 0,
    off_policy_masked_tokens: report?.offPolicyMaskedTokens ?? 0,
    'time/rollout': times.rollout,
    'time/take': times.take,
    'time/train': times.train,
    'time/export': times.export,
    'time/sync': times.sync,
    'time/eval': times.eval,
    'time/save': times.save,
    'time/step': times.step,
    tokens_per_s: responseTokens / Math.max(input.rolloutSeconds, 1e-9),
    episodes_per_s: samples.length / Math.max(input.rolloutSeconds, 1e-9),
  };
  // Per rubric item: every named reward and metric the rubric recorded.
  const names = new Set(samples.flatMap((s) => Object.keys(s.rewards)));
  for (const name of [...names].sort()) out[`reward/${name}`] = mean(samples.flatMap((s) => (s.rewards[name] === undefined ? [] : [s.rewards[name]!])));
  // Multi-agent: each role's mean reward, and with RAE the baseline each role's advantages subtract.
  const agents = [...new Set(samples.map((s) => s.agent))].sort();
  if (agents.length > 1)
    for (const agent of agents) out[`role_reward/${agent}`] = mean(samples.flatMap((s) => (s.agent === agent && s.reward !== null ? [s.reward] : [])));
  for (const [key, value] of Object.entries(batch.baselines ?? {})) out[`rae_baseline/${key.replace(/^\//, '')}`] = value;
  for (const [name, value] of Object.entries(input.train)) out[`train/${name}`] = value;
  // Aliases the issue names without the prefix, so a reader finds them at the top level.
  for (const name of ['train_rollout_logprob_abs_diff', 'entropy', 'approx_kl', 'kl_loss'] as const)
    if (input.train[name] !== undefined) out[name === 'approx_kl' ? 'kl' : name] = input.train[name]!;
  for (const [key, value] of Object.entries(out)) if (typeof value === 'number') out[key] = round(value);
  return out;
}

/** The terminal's one line per step. */
export function formatStepLine(m: Record<string, number | string>, totalSteps: number): string {
  const f = (key: string, digits = 3): string => (typeof m[key] === 'number' ? (m[key] as number).toFixed(digits) : 'n/a');
  if (m.mode === 'sft') return `step ${Number(m.step) + 1}/${totalSteps} [sft] v${m.weight_version} loss ${f('train/loss', 4)} train ${f('time/train', 2)}s`;
  return (
    `step ${Number(m.step) + 1}/${totalSteps} [${m.mode}] v${m.weight_version} reward ${f('reward_mean')}±${f('reward_std')} ` +
    `len ${f('response_length_mean', 1)} loss ${f('train/loss', 4)} zero-std ${f('zero_std_group_frac', 2)} stale ${f('stale_frac', 2)} | ` +
    `rollout ${f('time/rollout', 2)}s train ${f('time/train', 2)}s export ${f('time/export', 2)}s sync ${f('time/sync', 2)}s` +
    (m.heldout_reward !== undefined ? ` | held-out ${f('heldout_reward')}` : '')
  );
}
