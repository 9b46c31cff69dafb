/**
 * Starts `python -m physarum_trainer.metrics_sink <run-dir> --follow` beside a run: it tails
 * metrics.jsonl into TensorBoard event files (<run-dir>/tensorboard) and, when the recipe asks, a
 * Weights & Biases run. metrics.jsonl stays the source of truth; the sink is a reader of it, so a
 * sink that cannot start or dies is one line in the log, never a failed run. `close()` ends the
 * sink's stdin: it writes the lines it has not written yet and exits (a driver that dies closes
 * the pipe too, so no sink outlives its run).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export interface MetricsSinkOptions {
  runDir: string;
  python: string;
  tensorboard: boolean;
  wandb?: { project: string; mode: 'offline' | 'online'; entity?: string; name?: string };
  log: (line: string) => void;
  /** Repository root (PYTHONPATH gets <root>/trainer). */
  root: string;
  /** How long close() waits for the last lines to be written before it kills the sink. */
  closeTimeoutMs?: number;
}

export interface MetricsSink {
  close(): Promise<void>;
}

const NOTHING: MetricsSink = { close: async () => undefined };

export function sinkArgs(options: Pick<MetricsSinkOptions, 'runDir' | 'tensorboard' | 'wandb'>): string[] {
  const w = options.wandb;
  return [
    '-m', 'physarum_trainer.metrics_sink', options.runDir, '--follow',
    ...(options.tensorboard ? [] : ['--no-tensorboard']),
    ...(w ? ['--wandb-project', w.project, '--wandb-mode', w.mode, ...(w.entity ? ['--wandb-entity', w.entity] : []), ...(w.name ? ['--wandb-name', w.name] : [])] : []),
  ];
}

export function startMetricsSink(options: MetricsSinkOptions): MetricsSink {
  if (!options.tensorboard && !options.wandb) return NOTHING;
  if (!existsSync(options.python)) {
    options.log(`metrics sink: no Python at ${options.python}; TensorBoard/W&B are off, metrics.jsonl has every metric`);
    return NOTHING;
  }
  const env = {
    ...process.env,
    PYTHONPATH: [path.join(options.root, 'trainer'), process.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
    PYTHONUNBUFFERED: '1',
    // W&B keeps its files in the run directory (wandb/offline-run-*), synced later with `wandb sync`.
    ...(options.wandb ? { WANDB_MODE: options.wandb.mode, WANDB_DIR: options.runDir } : {}),
  };
  const child = spawn(options.python, sinkArgs(options), { cwd: options.root, env, stdio: ['pipe', 'ignore', 'pipe'] });
  let closing = false;
  const exited = new Promise<void>((resolve) => {
    child.once('error', (error) => {
      options.log(`metrics sink: cannot start ${options.python} (${error.message}); metrics.jsonl has every metric`);
      resolve();
    });
    child.once('exit', (code, signal) => {
      if (code !== 0 && !closing) options.log(`metrics sink exited (code ${code}, signal ${signal}); the run goes on, metrics.jsonl has every metric`);
      resolve();
    });
  });
  // Its messages are whole lines ("metrics sink: ..."): passed on one by one.
  let pending = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop()!;
    for (const line of lines) if (line.trim()) options.log(line);
  });
  // The sink reads nothing from stdin but its end; a dead sink's EPIPE is not the run's problem.
  child.stdin.on('error', () => undefined);
  return {
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin.end();
      const timer = setTimeout(() => {
        closing = true;
        options.log('metrics sink: still writing at the end of the run; stopped (metrics.jsonl has every metric)');
        child.kill('SIGKILL');
      }, options.closeTimeoutMs ?? 30_000);
      await exited;
      clearTimeout(timer);
      if (pending.trim()) options.log(pending);
    },
  };
}
