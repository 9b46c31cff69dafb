/** Failures of a rollout step as a whole (one group's failure is a sample status, not an exception). */
import { PhysarumError, type PhysarumErrorOptions } from '../protocol/errors.ts';
import type { StepReport } from './step-report.ts';

/**
 * Too many groups of one step failed on infrastructure (Docker down, engines unreachable): going
 * on would burn through the dataset producing nothing. Carries the step's report so the failures
 * by status are visible to whoever catches it.
 */
export class RolloutStepError extends PhysarumError {
  readonly report: StepReport;
  constructor(message: string, report: StepReport, options?: PhysarumErrorOptions) {
    super('PHYSARUM_ROLLOUT', message, options);
    this.report = report;
  }
}
