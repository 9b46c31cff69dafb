/**
 * Start the trainer worker (`python -m physarum_trainer.worker`, or under torchrun for several
 * ranks) from the project's venv, wait for its READY line, and hand back a connected client.
 * The child's stdin stays a pipe: when this process dies the worker sees EOF and exits, so no
 * worker outlives its driver. `stop()` asks politely (SIGTERM), then kills.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { AbortedError, throwIfAborted } from '../protocol/errors.ts';
import { READY_PREFIX } from '../protocol/trainer-rpc.ts';
import { TrainerClient, TrainerError } from './trainer-client.ts';

export interface StartTrainerWorkerOptions {
  /** Python to run (default $PHYSARUM_PYTHON, else <cwd>/.venv/bin/python). */
  python?: string;
  /** Repository root (default: this checkout's). PYTHONPATH gets <cwd>/trainer. */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Ranks (torchrun --nproc-per-node); default 1 (a plain process). */
  nproc?: number;
  host?: string;
  port?: number;
  /** Bearer token (passed to the worker through PHYSARUM_WORKER_TOKEN). */
  token?: string;
  /** How long to wait for READY (default 120 s: importing torch is slow on a cold disk). */
  startTimeoutMs?: number;
  /** Per-call deadline of the client. */
  callTimeoutMs?: number;
  signal?: AbortSignal;
  /** Where the worker's stderr goes (default: this process's stderr). 'ignore' drops it. */
  stderr?: 'inherit' | 'ignore' | ((chunk: string) => void);
}

export interface TrainerWorker {
  url: string;
  client: TrainerClient;
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

const repoRoot = path.resolve(import.meta.dirname, '..', '..');

/** One line naming what is missing, from a worker that died before READY. */
export function describeStartFailure(python: string, stderr: string, code: number | null): string {
  const missing = /No module named '([^']+)'/.exec(stderr);
  if (missing) {
    const top = missing[1]!.split('.')[0]!;
    if (top === 'physarum_trainer') return `trainer worker: ${python} cannot import physarum_trainer (is PYTHONPATH=<repo>/trainer, and cwd the repo root?)`;
    return `trainer worker: the Python package '${top}' is missing from ${python}; install it with ${python} -m pip install -r trainer/requirements.txt`;
  }
  const last = stderr.trim().split('\n').filter(Boolean).pop() ?? '';
  return `trainer worker exited with code ${String(code)} before it was ready${last ? `: ${last}` : ''}`;
}

export async function startTrainerWorker(options: StartTrainerWorkerOptions = {}): Promise<TrainerWorker> {
  throwIfAborted(options.signal);
  const cwd = options.cwd ?? repoRoot;
  const python = options.python ?? process.env.PHYSARUM_PYTHON ?? path.join(cwd, '.venv', 'bin', 'python');
  if (!existsSync(python))
    throw new TrainerError('PHYSARUM_TRAINER_BACKEND_UNAVAILABLE', `trainer worker: no Python at ${python}; run 'npm run setup' or set PHYSARUM_PYTHON`, null, 'start');
  const nproc = options.nproc ?? 1;
  const workerArgs = ['-m', 'physarum_trainer.worker', '--host', options.host ?? '127.0.0.1', '--port', String(options.port ?? 0)];
  const argv = nproc > 1
    ? ['-m', 'torch.distributed.run', '--standalone', '--nproc-per-node', String(nproc), '--no-python', python, ...workerArgs]
    : workerArgs;
  const env = {
    ...process.env,
    ...options.env,
    PYTHONPATH: [path.join(cwd, 'trainer'), options.env?.PYTHONPATH ?? process.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
    PYTHONUNBUFFERED: '1',
    ...(options.token ? { PHYSARUM_WORKER_TOKEN: options.token } : {}),
  };
  const child = spawn(python, argv, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    if (stderr.length < 65_536) stderr += chunk;
    if (options.stderr === 'ignore') return;
    if (typeof options.stderr === 'function') options.stderr(chunk);
    else process.stderr.write(chunk);
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  const ready = await new Promise<{ url: string; pid: number }>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => fail(new TrainerError('PHYSARUM_TRAINER', `trainer worker: no READY line within ${options.startTimeoutMs ?? 120_000} ms`, null, 'start')), options.startTimeoutMs ?? 120_000);
    const onAbort = () => fail(new AbortedError('trainer worker start aborted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    function done(): void {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      child.stdout.removeAllListeners('data');
    }
    function fail(error: Error): void {
      done();
      void stop();
      reject(error);
    }
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      const line = stdout.split('\n').find((l) => l.startsWith(READY_PREFIX));
      if (!line || !stdout.slice(stdout.indexOf(line)).includes('\n')) return;
      done();
      resolve(JSON.parse(line.slice(READY_PREFIX.length)) as { url: string; pid: number });
    });
    child.once('error', (error) => fail(new TrainerError('PHYSARUM_TRAINER', `trainer worker: cannot start ${python}: ${error.message}`, null, 'start', { cause: error })));
    void exited.then(({ code }) => setTimeout(() => fail(new TrainerError('PHYSARUM_TRAINER_BACKEND_UNAVAILABLE', describeStartFailure(python, stderr, code), null, 'start')), 20));
  });
  const client = new TrainerClient(ready.url, { ...(options.token ? { token: options.token } : {}), ...(options.callTimeoutMs ? { timeoutMs: options.callTimeoutMs } : {}) });
  return {
    url: ready.url,
    client,
    pid: ready.pid,
    exited,
    async stop() {
      await client.close();
      await stop();
    },
  };
}
