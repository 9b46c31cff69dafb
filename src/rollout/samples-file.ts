/**
 * A samples file (jsonl, one `Sample` per line) written as groups arrive: its `write` is a
 * `GroupSink` for RolloutManager's `onGroup` and `onDiscard`, so nothing a run produced is lost.
 * Writes wait for the stream to drain, so a fast engine cannot grow memory without bound.
 */
import { createWriteStream, openSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { InvalidInputError } from '../protocol/errors.ts';
import type { Sample } from '../protocol/sample.ts';

export interface SamplesFile {
  readonly path: string;
  /** Appends the group's samples; usable directly as `onGroup` / `onDiscard`. */
  write(group: { samples: readonly Sample[] }): Promise<void>;
  /** Flushes and closes the file. */
  close(): Promise<void>;
  /** Closes without waiting for a flush (error paths). */
  destroy(): void;
}

/** Creates (or truncates) `file`; a path that cannot be written fails here, naming it. */
export function openSamplesFile(file: string): SamplesFile {
  let fd: number;
  try {
    fd = openSync(file, 'w');
  } catch (error) {
    throw new InvalidInputError(`cannot write samples file '${file}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
  const out: WriteStream = createWriteStream(file, { fd });
  return {
    path: file,
    async write(group) {
      if (group.samples.length === 0) return;
      if (!out.write(group.samples.map((s) => JSON.stringify(s) + '\n').join(''))) await once(out, 'drain');
    },
    async close() {
      out.end();
      await once(out, 'finish');
    },
    destroy: () => void out.destroy(),
  };
}
