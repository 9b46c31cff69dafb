/**
 * The engines a WeightSync updates (a rotation) and what a sync reports. `SglangFleet` is the
 * full rotation (router registration, restarts); `staticRotation` is a fixed list.
 */
import { PhysarumError } from '../../protocol/errors.ts';
import { SglangClient } from '../client/sglang-client.ts';

export interface RotationMember {
  url: string;
  client: SglangClient;
}

export interface AppliedWeights {
  version: string;
  source: 'disk' | 'distributed';
  modelPath?: string;
}

/** The engines a sync updates, and what happens to those that fail (a fleet implements this). */
export interface EngineRotation {
  members(): RotationMember[];
  takeOut(url: string, reason: string): void | Promise<void>;
  weightsApplied?(url: string, weights: AppliedWeights): void | Promise<void>;
}

export type SyncStage = 'pause' | 'flush' | 'onload' | 'update' | 'continue' | 'offload';

export interface EngineFailure {
  url: string;
  stage: SyncStage;
  message: string;
}

export interface WeightSyncReport {
  version: string;
  updated: string[];
  failed: EngineFailure[];
  durationMs: number;
}

export class WeightSyncError extends PhysarumError {
  readonly report: WeightSyncReport;
  constructor(message: string, report: WeightSyncReport, cause?: unknown) {
    super('PHYSARUM_WEIGHT_SYNC', message, { cause });
    this.report = report;
  }
}

/** A fixed set of engines; failed ones are remembered in `out` and skipped by later syncs. */
export function staticRotation(engines: ReadonlyArray<string | SglangClient>): EngineRotation & { out: Map<string, string> } {
  const members = engines.map((e) => (typeof e === 'string' ? { url: e.replace(/\/+$/, ''), client: new SglangClient(e) } : { url: e.baseUrl, client: e }));
  const out = new Map<string, string>();
  return {
    out,
    members: () => members.filter((m) => !out.has(m.url)),
    takeOut: (url, reason) => void out.set(url, reason),
  };
}
