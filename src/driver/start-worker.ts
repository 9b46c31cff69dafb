/**
 * The real trainer worker for `physarum train`: `python -m physarum_trainer.worker` from the
 * project's venv (or torchrun for several processes), through worker-process.ts.
 */
import type { StartWorker } from './run.ts';
import { startTrainerWorker } from './worker-process.ts';

export const startWorker: StartWorker = async ({ python, nproc, signal }) => {
  const worker = await startTrainerWorker({ ...(python ? { python } : {}), nproc, ...(signal ? { signal } : {}), stderr: 'inherit' });
  return { client: worker.client, exited: worker.exited, stop: () => worker.stop() };
};
