/**
 * Held-out evaluation through the same rollout path as training (RolloutManager + the env's
 * episodes on the engines): greedy (temperature 0, one sample per prompt) and sampled pass@k
 * (k samples at the training temperature; a prompt passes when any sample reaches the threshold).
 * Nothing here is stored in the Data Buffer: eval samples never train.
 */
import type { SamplingParams } from '../protocol/sglang-types.ts';
import { envGroupGenerate, type EnvGroupGenerateOptions } from '../rollout/env-group-generate.ts';
import type { PromptRecord } from '../rollout/prompt-record.ts';
import { PromptSource } from '../rollout/prompt-source.ts';
import { RolloutManager } from '../rollout/rollout-manager.ts';
import type { Sample } from '../protocol/sample.ts';

export interface EvalOptions {
  prompts: readonly PromptRecord[];
  episode: Omit<EnvGroupGenerateOptions, 'sampling'>;
  sampling: SamplingParams;
  greedy: boolean;
  passK: number;
  passThreshold: number;
  signal?: AbortSignal;
}

export interface EvalResult {
  /** Greedy mean reward (the "held-out reward" of the demo). */
  heldout_reward?: number;
  /** Sampled: the pass rate over all k samples (pass@1 estimate) and pass@k, as `heldout_pass@<k>`. */
  [passK: `heldout_pass@${number}`]: number | undefined;
  heldout_failed: number;
  heldout_seconds: number;
}

async function collect(options: EvalOptions, n: number, sampling: SamplingParams, step: number): Promise<Sample[][]> {
  const groups: Sample[][] = [];
  const manager = new RolloutManager({
    source: new PromptSource(options.prompts, { numEpochs: 1 }),
    nSamplesPerPrompt: n,
    batchSize: options.prompts.length,
    ...envGroupGenerate({ ...options.episode, sampling }),
    // Every group counts, failures included (they show as heldout_failed, not as reward 0).
    failedGroupPolicy: 'keep',
    maxFailedGroupsPerStep: Number.MAX_SAFE_INTEGER,
    onGroup: (group) => void groups.push(group.samples),
  });
  await manager.step(step, options.signal ? { signal: options.signal } : {});
  return groups;
}

export async function evaluate(options: EvalOptions, step = 0): Promise<EvalResult> {
  const started = performance.now();
  const result: EvalResult = { heldout_failed: 0, heldout_seconds: 0 };
  const scored = (s: Sample): s is Sample & { reward: number } => s.reward !== null;
  if (options.greedy) {
    const groups = await collect(options, 1, { ...options.sampling, temperature: 0 }, step);
    const samples = groups.flat();
    const rewards = samples.filter(scored).map((s) => s.reward);
    result.heldout_failed += samples.length - rewards.length;
    result.heldout_reward = rewards.reduce((a, b) => a + b, 0) / Math.max(1, samples.length);
  }
  if (options.passK >= 2) {
    const groups = await collect(options, options.passK, options.sampling, step);
    const samples = groups.flat();
    result.heldout_failed += samples.filter((s) => !scored(s)).length;
    const passes = (s: Sample): boolean => scored(s) && s.reward >= options.passThreshold;
    result['heldout_pass@1'] = samples.filter(passes).length / Math.max(1, samples.length);
    result[`heldout_pass@${options.passK}`] = groups.filter((g) => g.some(passes)).length / Math.max(1, groups.length);
  }
  result.heldout_seconds = (performance.now() - started) / 1000;
  return result;
}
