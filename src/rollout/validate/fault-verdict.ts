/**
 * The infrastructure failures `physarum validate` injects into every env, and what each must end
 * with (contract 3): its typed status and no reward — never a reward of 0.
 */
import type { Sample, SampleStatus } from '../../protocol/sample.ts';
import { describeOutcome } from './expectation.ts';
import type { InjectedFault } from './run-case.ts';

export interface FaultCheck {
  name: string;
  fault: InjectedFault;
  status: SampleStatus;
}

/**
 * The faults for an env whose gold episode made `requests` /generate calls: the engine dies, or
 * answers 503, at the second call (the first when there is only one), and for sandbox envs the
 * sandbox is removed just before it.
 */
export function faultChecks(requests: number, usesSandbox: boolean): FaultCheck[] {
  const at = requests >= 2 ? 2 : 1;
  const where = `at /generate ${at} of ${requests}`;
  const checks: FaultCheck[] = [
    { name: `engine dies ${where}`, fault: { kind: 'dies', atRequest: at }, status: 'model_error' },
    { name: `engine answers 503 ${where}`, fault: { kind: 'http_503', atRequest: at }, status: 'model_error' },
  ];
  if (usesSandbox) checks.push({ name: `sandbox removed ${where}`, fault: { kind: 'sandbox_removed', atRequest: at }, status: 'sandbox_error' });
  return checks;
}

/** Undefined when every sample carries the fault's typed status and no reward. */
export function faultMiss(samples: readonly Sample[], check: FaultCheck): string | undefined {
  if (samples.length === 0) return `expected status ${check.status}, got no sample`;
  for (const sample of samples) {
    if (sample.reward !== null && sample.status !== check.status)
      return `the infrastructure failure became reward ${sample.reward}: expected status ${check.status} with no reward, got ${describeOutcome(sample)}`;
    if (sample.status !== check.status || sample.reward !== null) return `expected status ${check.status} with no reward, got ${describeOutcome(sample)}`;
  }
  return undefined;
}
