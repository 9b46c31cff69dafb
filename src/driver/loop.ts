/**
 * The training loop, slime's train.py and train_async.py on one skeleton:
 *
 *   sync:  rollout k → take batch k → train k → export → weight sync (v+1) → [eval] [save] → k+1
 *   async: rollout k+1 runs on the engines while step k trains; the weight sync lands in the
 *          middle of it (pause → update → continue: in-flight episodes are aborted by the engine
 *          and resumed by the rollout manager on the new weights), and the buffer's maxWeightLag
 *          drops (and counts) samples older than `maxStaleness` versions at take time.
 *
 * Every rollout step's groups are in the Data Buffer before its cursor (the rollout manager's
 * state) is committed; a batch is taken by step number, so a step taken before a crash is
 * replayed with the same groups, and rollout steps already in the buffer are not rolled again.
 * A stop request (Ctrl-C) is honoured at a step boundary: the step in flight finishes, then a
 * checkpoint is saved.
 */
import type { DataBuffer } from '../buffer/data-buffer.ts';
import { buildTrainerBatch } from '../buffer/pack.ts';
import type { TakenBatch } from '../buffer/take-batch.ts';
import { encodeTrainerBatch } from '../buffer/wire.ts';
import type { RolloutManager } from '../rollout/rollout-manager.ts';
import type { StepReport } from '../rollout/step-report.ts';
import type { Checkpoints, RolloutCursor } from './checkpoints.ts';
import type { EvalResult } from './evaluate.ts';
import { stepMetrics, type PhaseTimes } from './step-metrics.ts';
import type { TrainerPort } from './trainer-port.ts';

export interface WeightPublisher {
  /** Export the worker's weights as `version` and load them into every engine. */
  publish(version: number): Promise<{ exportSeconds: number; syncSeconds: number }>;
  /** Colocated engines: release their memory before the worker trains (the next publish takes it back). */
  offload?(): Promise<void>;
}

export interface LoopDeps {
  trainer: TrainerPort;
  buffer: DataBuffer;
  rollout: RolloutManager;
  weights: WeightPublisher;
  checkpoints: Checkpoints;
  evaluate?: (trainedSteps: number) => Promise<EvalResult>;
  /** One metrics record per step (and the evals): the caller writes metrics.jsonl and the terminal line. */
  onMetrics: (line: Record<string, number | string>) => void;
}

export interface LoopStart {
  /** First step to run (0 on a fresh run; the checkpoint's step + 1 on resume). */
  step: number;
  weightVersion: number;
  /** The last rollout step whose groups are all in the buffer (-1: none). */
  rolledThrough: number;
}

export interface LoopSettings {
  mode: 'sync' | 'async';
  steps: number;
  batchSize: number;
  maxTokensPerGpu: number;
  dpSize?: number;
  evalEvery: number;
  saveEvery: number;
  colocate?: boolean;
  temperature?: number;
  /** Fires to stop at the next step boundary (a checkpoint is saved). */
  stop?: AbortSignal;
  /** Fires to abort at once (the rollout in flight is cancelled; nothing is saved). */
  abort?: AbortSignal;
}

export interface LoopResult {
  trainedThrough: number;
  weightVersion: number;
  stopped: boolean;
}

const seconds = (since: number): number => (performance.now() - since) / 1000;
const emptyTimes = (): PhaseTimes => ({ rollout: 0, take: 0, train: 0, export: 0, sync: 0, eval: 0, save: 0, step: 0 });

export async function runLoop(deps: LoopDeps, settings: LoopSettings, start: LoopStart): Promise<LoopResult> {
  let weightVersion = start.weightVersion;
  let rolledThrough = start.rolledThrough;
  let savedThrough = start.step - 1;
  const reports = new Map<number, { report: StepReport; seconds: number }>();
  const signalOptions = settings.abort ? { signal: settings.abort } : {};

  /** Roll out step k into the buffer and commit the rollout cursor (skipped when already rolled). */
  const rollout = async (k: number): Promise<void> => {
    if (k <= rolledThrough || k >= settings.steps) return;
    const began = performance.now();
    const report = await deps.rollout.step(k, signalOptions);
    const cursor: RolloutCursor = { rolloutStep: k, rollout: deps.rollout.state() };
    await deps.buffer.checkpoint({ cursor });
    rolledThrough = k;
    reports.set(k, { report, seconds: seconds(began) });
  };

  const save = async (trainedStep: number): Promise<number> => {
    const began = performance.now();
    await deps.checkpoints.save(deps.trainer, { version: 1, trainedStep, weightVersion });
    savedThrough = trainedStep;
    return seconds(began);
  };

  if (start.step === 0 && deps.evaluate) deps.onMetrics({ event: 'eval', step: -1, weight_version: weightVersion, ...(await deps.evaluate(0)) });

  let pending: Promise<void> | undefined = settings.mode === 'async' ? rollout(start.step) : undefined;
  let k = start.step;
  for (; k < settings.steps; k++) {
    if (settings.stop?.aborted) break;
    const times = emptyTimes();
    const stepBegan = performance.now();
    let t = performance.now();
    if (pending) await pending;
    else await rollout(k);
    times.rollout = seconds(t);

    t = performance.now();
    const batch = await deps.buffer.takeBatch({ step: k, groups: settings.batchSize, weightVersion, ...signalOptions });
    times.take = seconds(t);
    // Async: the next rollout starts only now, so this step's take sees only its own groups.
    pending = settings.mode === 'async' ? rollout(k + 1) : undefined;
    // Keep a failing background rollout from being an unhandled rejection; it is awaited next step.
    pending?.catch(() => undefined);

    const trained = await trainOn(batch, k, times);
    if (trained) {
      weightVersion++;
      t = performance.now();
      const published = await deps.weights.publish(weightVersion);
      times.export = published.exportSeconds;
      times.sync = published.syncSeconds;
    }
    const line: Record<string, number | string> = stepMetrics({
      step: k, mode: settings.mode, weightVersion, batch, train: trained ?? {}, times,
      ...(reports.get(k) ? { report: reports.get(k)!.report } : {}),
      rolloutSeconds: reports.get(k)?.seconds ?? times.rollout,
    });
    reports.delete(k);
    const evalDue = deps.evaluate && ((settings.evalEvery > 0 && (k + 1) % settings.evalEvery === 0) || k === settings.steps - 1);
    if (evalDue) {
      t = performance.now();
      const result = await deps.evaluate!(k + 1);
      times.eval = seconds(t);
      Object.assign(line, result);
      deps.onMetrics({ event: 'eval', step: k, weight_version: weightVersion, ...result });
    }
    if ((settings.saveEvery > 0 && (k + 1) % settings.saveEvery === 0) || k === settings.steps - 1) times.save = await save(k);
    times.step = seconds(stepBegan);
    Object.assign(line, { 'time/eval': times.eval, 'time/save': times.save, 'time/step': times.step });
    deps.onMetrics(line);
  }
  const stopped = k < settings.steps;
  if (pending) await pending.catch(() => undefined);
  if (savedThrough < k - 1) await save(k - 1);
  return { trainedThrough: k - 1, weightVersion, stopped };

  async function trainOn(batch: TakenBatch, step: number, times: PhaseTimes): Promise<Record<string, number> | undefined> {
    if (batch.samples.length === 0) return undefined;
    const t = performance.now();
    const frame = encodeTrainerBatch(buildTrainerBatch(batch.samples, { maxTokensPerGpu: settings.maxTokensPerGpu, dpSize: settings.dpSize ?? 1, step }));
    if (settings.colocate) await deps.weights.offload?.();
    // No abort signal: a train step in flight finishes, so the worker and the driver agree on it.
    const result = await deps.trainer.trainStep(frame, { step, ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}) });
    times.train = seconds(t);
    return result.metrics;
  }
}
