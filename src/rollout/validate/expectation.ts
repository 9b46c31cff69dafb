/**
 * Whether an episode's samples meet a case's `expect`, and if not, the reason in one phrase:
 * what was expected and what the samples got (reward, status and why).
 */
import { isInfrastructureFailure, type Sample } from '../../protocol/sample.ts';
import type { CaseExpectation } from './validate-spec.ts';

const EPSILON = 1e-9;

/** `reward 0 (completed)`, `reward none (model_error: ...)`: what one sample ended with. */
export function describeOutcome(sample: Sample): string {
  const reward = sample.reward === null ? 'no reward' : `reward ${sample.reward}`;
  const reason = sample.statusReason ? `: ${sample.statusReason.length > 160 ? `${sample.statusReason.slice(0, 160)}…` : sample.statusReason}` : '';
  return `${reward} (${sample.status}${reason})`;
}

function roleOf(sample: Sample): string {
  return sample.agent ?? 'policy';
}

function rewardMiss(samples: readonly Sample[], want: number, role: string | undefined): string | undefined {
  const chosen = role === undefined ? samples : samples.filter((s) => roleOf(s) === role);
  if (chosen.length === 0) return `expected reward ${want}${role ? ` for role '${role}'` : ''}, got no sample${role ? ` of that role (roles: ${[...new Set(samples.map(roleOf))].join(', ') || 'none'})` : ''}`;
  const wrong = chosen.find((s) => s.reward === null || Math.abs(s.reward - want) >= EPSILON);
  if (!wrong) return undefined;
  const who = chosen.length > 1 || role ? ` ('${roleOf(wrong)}')` : '';
  return `expected reward ${want}, got ${describeOutcome(wrong)}${who}`;
}

function statusMatches(status: Sample['status'], want: string): boolean {
  return want === 'failed' ? isInfrastructureFailure(status) || status === 'tool_timeout' : status === want;
}

/** Undefined when the samples meet the expectation; else what was expected and what came. */
export function expectationMiss(samples: readonly Sample[], expect: CaseExpectation): string | undefined {
  if (samples.length === 0) return 'the episode produced no sample';
  if ('reward' in expect) return rewardMiss(samples, expect.reward, expect.role);
  if ('rewards' in expect) {
    for (const [role, want] of Object.entries(expect.rewards)) {
      const miss = rewardMiss(samples, want, role);
      if (miss) return miss;
    }
    return undefined;
  }
  const wrong = samples.find((s) => !statusMatches(s.status, expect.status));
  return wrong ? `expected status ${expect.status}, got ${describeOutcome(wrong)}` : undefined;
}
