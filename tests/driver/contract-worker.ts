/**
 * Test-only: the real Python worker (`python -m physarum_trainer.worker`) behind the driver's
 * TrainerPort, spoken to exactly per CONTRACT-trainer-rpc.md. Used until the project's
 * TrainerClient / startTrainerWorker (src/driver/trainer-client.ts, worker-process.ts) land.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { StartWorker } from '../../src/driver/run.ts';
import type { TrainerPort } from '../../src/driver/trainer-port.ts';

const root = path.resolve(import.meta.dirname, '../..');

async function call(url: string, verb: string, body: unknown, frame?: { bytes: Uint8Array; args: unknown }): Promise<any> {
  const response = await fetch(`${url}/v1/${verb}`, {
    method: 'POST',
    headers: frame
      ? { 'content-type': 'application/vnd.physarum.trainer-batch', 'physarum-args': JSON.stringify(frame.args) }
      : { 'content-type': 'application/json' },
    body: frame ? frame.bytes : JSON.stringify(body),
  });
  const json = (await response.json()) as { ok: boolean; result?: unknown; error?: { code: string; message: string } };
  if (!json.ok) throw new Error(`worker ${verb}: ${json.error?.code}: ${json.error?.message}`);
  return json.result;
}

export const startContractWorker: StartWorker = async () => {
  const child = spawn(path.join(root, '.venv/bin/python'), ['-m', 'physarum_trainer.worker', '--host', '127.0.0.1', '--port', '0'], {
    cwd: root, env: { ...process.env, PYTHONPATH: path.join(root, 'trainer') }, stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('PHYSARUM_WORKER_READY ')) resolve((JSON.parse(line.slice('PHYSARUM_WORKER_READY '.length)) as { url: string }).url);
    });
  });
  const client: TrainerPort = {
    init: (config) => call(url, 'init', config),
    trainStep: (frame, args) => call(url, 'train_step', null, { bytes: frame, args }),
    save: (args) => call(url, 'save', args),
    load: (args) => call(url, 'load', args),
    exportWeights: (args) => call(url, 'export_weights', args),
    shutdown: () => call(url, 'shutdown', {}),
  };
  return {
    client,
    exited,
    stop: async () => {
      await client.shutdown().catch(() => undefined);
      child.stdin?.end();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      child.kill('SIGKILL');
    },
  };
};
