/**
 * What the dashboard draws: one chart per question a person asks of a run, each a list of metric
 * keys (as written in metrics.jsonl by stepMetrics, or eval.jsonl for held-out reward). A prefix
 * ending in `/` takes every key under it that the run wrote (rubric items, engine, sandbox pool).
 * A chart none of whose keys the run wrote is not shown (an SFT run has no reward).
 */
export interface ChartSpec {
  id: string;
  title: string;
  /** Which file the points come from. */
  source: 'metrics' | 'evals';
  keys: string[];
  /** Key prefixes whose every key is a series. */
  prefixes?: string[];
}

export const CHARTS: ChartSpec[] = [
  { id: 'reward', title: 'reward', source: 'metrics', keys: ['reward_mean', 'reward_std'], prefixes: ['reward/'] },
  { id: 'heldout', title: 'held-out reward', source: 'evals', keys: ['heldout_reward'] },
  { id: 'length', title: 'response length (tokens)', source: 'metrics', keys: ['response_length_mean'] },
  { id: 'status', title: 'fractions (truncated, aborted, filtered, stale, zero-std groups)', source: 'metrics', keys: ['truncated_frac', 'aborted_frac', 'filtered_group_frac', 'stale_frac', 'zero_std_group_frac'] },
  { id: 'loss', title: 'loss parts', source: 'metrics', keys: ['train/loss', 'train/pg_loss', 'train/kl_loss', 'train/entropy_loss', 'train/sft_loss'] },
  { id: 'clip', title: 'clip fraction', source: 'metrics', keys: ['train/clipfrac', 'train/clipfrac_low', 'train/clipfrac_high', 'train/tis_clipfrac'] },
  { id: 'entropy', title: 'entropy', source: 'metrics', keys: ['train/entropy'] },
  { id: 'kl', title: 'KL', source: 'metrics', keys: ['train/approx_kl', 'train/kl_loss'] },
  { id: 'logprob', title: 'train_rollout_logprob_abs_diff', source: 'metrics', keys: ['train/train_rollout_logprob_abs_diff'] },
  { id: 'grad', title: 'grad norm', source: 'metrics', keys: ['train/grad_norm'] },
  { id: 'throughput', title: 'throughput (per second)', source: 'metrics', keys: ['tokens_per_s', 'episodes_per_s', 'train/tokens_per_s'] },
  { id: 'time', title: 'time per phase (s)', source: 'metrics', keys: ['time/rollout', 'time/take', 'time/train', 'time/export', 'time/sync', 'time/eval', 'time/save', 'time/step'] },
  { id: 'engine', title: 'engine load', source: 'metrics', keys: [], prefixes: ['engine/'] },
  { id: 'sandbox', title: 'sandbox pool', source: 'metrics', keys: [], prefixes: ['sandbox/'] },
];
