/**
 * A verification room (contract 7): reward code that must be trusted runs in a fresh sandbox of
 * the task's image and setup that holds only the agent's changes under the paths the env names
 * (`verifyPaths`, e.g. the module under test), never the agent's home, its other files or its
 * processes. The room's home is the image's, which the agent never wrote; Python there ignores
 * user site-packages. A fork is different: it carries every file of the prepared state.
 */
import { InvalidInputError } from '../src/protocol/errors.ts';
import { restoreSnapshot, takeSnapshot } from './fork.ts';
import type { Sandbox } from './sandbox.ts';

/** What every exec in a room starts from: no user site-packages, no bytecode written. */
export const ROOM_ENV: Readonly<Record<string, string>> = { PYTHONNOUSERSITE: '1', PYTHONDONTWRITEBYTECODE: '1' };

export async function furnishRoom(agentSandbox: Sandbox, room: Sandbox, paths: readonly string[], signal?: AbortSignal): Promise<void> {
  if (paths.length === 0) {
    throw new InvalidInputError('a verification room needs the paths of the agent\'s work: set the sandbox spec\'s verifyPaths (or pass paths)');
  }
  const snapshot = await takeSnapshot(agentSandbox, signal, [...paths]);
  await restoreSnapshot(room, snapshot, signal);
  room.useBaseEnv({ ...ROOM_ENV });
}
