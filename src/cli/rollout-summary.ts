/**
 * What `physarum rollout` says after a run besides the report: a few samples (`--show N`, as
 * vf-eval prints them) and whether too many failed (`--fail-fraction`), with the first failure.
 */
import type { Sample } from '../protocol/sample.ts';
import type { SampleTally } from '../rollout/sample-tally.ts';

const clip = (text: string, width: number, from: 'start' | 'end'): string => {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= width) return flat;
  return from === 'end' ? `…${flat.slice(-width)}` : `${flat.slice(0, width)}…`;
};

function promptText(prompt: Sample['prompt']): string {
  if (typeof prompt === 'string') return prompt;
  return prompt.map((m) => `${m.role}: ${typeof m.content === 'string' ? m.content : JSON.stringify(m.content)}`).join(' | ');
}

/** One block per sample: index/agent/status/reward, the prompt's tail, the response. */
export function formatShownSamples(samples: readonly Sample[]): string {
  return samples
    .map((s) => {
      const reward = s.reward === null ? 'n/a' : s.reward.toFixed(3);
      const reason = s.statusReason ? ` (${clip(s.statusReason, 160, 'start')})` : '';
      return [
        `--- sample ${s.index} (group ${s.groupIndex}, ${s.agent}) status: ${s.status}${reason}  reward: ${reward}`,
        `prompt:   ${clip(promptText(s.prompt), 200, 'end')}`,
        `response: ${clip(s.response, 400, 'start')}`,
      ].join('\n');
    })
    .join('\n');
}

/**
 * The run fails when at least `fraction` of its samples failed (default 1: only when all did);
 * the message names the first failure. Undefined when the run passes.
 */
export function failureVerdict(tally: SampleTally, fraction: number): string | undefined {
  if (tally.count === 0 || tally.failed === 0 || tally.failed / tally.count < fraction) return undefined;
  const first = tally.firstFailure!;
  const which = tally.failed === tally.count ? 'every sample' : `${tally.failed} of ${tally.count} samples`;
  return `${which} failed (--fail-fraction ${fraction}); the first: ${first.status}: ${first.reason}`;
}
