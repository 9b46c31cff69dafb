/**
 * A cross-process lock on one machine (a directory created atomically, with the holder's pid),
 * so that parallel test workers, benches and runs build the base image once, not N times.
 * A lock whose holder died (SIGKILL mid-build) is taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { throwIfAborted } from '../src/protocol/errors.ts';

type Holder = 'alive' | 'dead' | 'unknown';

function holderState(lockDir: string): Holder {
  let pid: number;
  try {
    pid = Number(readFileSync(`${lockDir}/pid`, 'utf8'));
  } catch {
    return 'unknown'; // between its creator's mkdir and pid write, or that creator died there
  }
  if (!Number.isInteger(pid) || pid <= 0) return 'dead';
  try {
    process.kill(pid, 0);
    return 'alive';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? 'alive' : 'dead';
  }
}

export async function withFileLock<T>(lockDir: string, fn: () => Promise<T>, { signal }: { signal?: AbortSignal } = {}): Promise<T> {
  let unknownSince = 0;
  for (;;) {
    throwIfAborted(signal);
    try {
      mkdirSync(lockDir);
      writeFileSync(`${lockDir}/pid`, String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = holderState(lockDir);
    if (holder === 'unknown' && !unknownSince) unknownSince = Date.now();
    if (holder !== 'unknown') unknownSince = 0;
    // A pid file missing for 5 s means its creator died between mkdir and write.
    if (holder === 'dead' || (holder === 'unknown' && Date.now() - unknownSince > 5000)) {
      rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    await sleep(250);
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}
