/**
 * Child processes for fleets: spawned in their own process group (SGLang's launcher forks a
 * scheduler and a detokenizer; a restart must end them all, or orphans keep the port and the GPU
 * memory), with output read line by line and a graceful-then-forced stop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface SpawnedCommand {
  command: string;
  args: readonly string[];
}

export function spawnGroup(
  launch: SpawnedCommand,
  options: { env?: NodeJS.ProcessEnv; onLine?: (line: string) => void; onExit: (how: string) => void },
): ChildProcess {
  const child = spawn(launch.command, [...launch.args], { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env, detached: true });
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream! }).on('line', (line) => options.onLine?.(line));
  child.once('error', (error) => options.onExit(`failed to start (${error.message})`));
  child.once('exit', (code, signal) => options.onExit(signal ? `killed by ${signal}` : `exited with code ${code}`));
  return child;
}

/** SIGTERM the group, then SIGKILL after `graceMs` (0: at once); resolves once the leader is gone. */
export function terminate(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    killGroup(child, 'SIGKILL');
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      // The leader is gone; make sure nothing it forked outlives it.
      killGroup(child, 'SIGKILL');
      resolve();
    });
    killGroup(child, graceMs === 0 ? 'SIGKILL' : 'SIGTERM');
  });
}

/** Signal the child's whole process group (it leads one: spawned detached). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // the group is already gone
  }
}
