/**
 * Reads the lines a growing JSONL file gained since the last read. Only whole lines count: a line
 * the writer is still appending waits for its newline, so a half-written record is never parsed.
 * A line that is not a JSON object is reported (file and line number) and skipped, never fatal.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';

export interface TailRead {
  records: Record<string, unknown>[];
  /** One line per bad record: `<file>:<line>: <why>`. */
  problems: string[];
  /** The file shrank (a run started over): earlier records no longer hold. */
  restarted: boolean;
}

export class JsonlTail {
  private offset = 0;
  private lineNumber = 0;
  private pending = Buffer.alloc(0);

  constructor(readonly file: string) {}

  read(): TailRead {
    const out: TailRead = { records: [], problems: [], restarted: false };
    let size: number;
    try {
      size = statSync(this.file).size;
    } catch {
      return out; // not written yet (a run that has not finished its first step)
    }
    // A file that shrank was started over (`train --fresh`): read it again from the top.
    if (size < this.offset) {
      this.reset();
      out.restarted = true;
    }
    if (size === this.offset) return out;
    const chunk = Buffer.alloc(size - this.offset);
    const fd = openSync(this.file, 'r');
    try {
      const got = readSync(fd, chunk, 0, chunk.length, this.offset);
      this.offset += got;
      this.pending = Buffer.concat([this.pending, chunk.subarray(0, got)]);
    } finally {
      closeSync(fd);
    }
    let newline: number;
    while ((newline = this.pending.indexOf(0x0a)) >= 0) {
      const line = this.pending.subarray(0, newline).toString('utf8');
      this.pending = this.pending.subarray(newline + 1);
      this.lineNumber++;
      if (line.trim() === '') continue;
      try {
        const value: unknown = JSON.parse(line);
        if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
        out.records.push(value as Record<string, unknown>);
      } catch (error) {
        out.problems.push(`${this.file}:${this.lineNumber}: skipped a malformed line (${(error as Error).message})`);
      }
    }
    return out;
  }

  private reset(): void {
    this.offset = 0;
    this.lineNumber = 0;
    this.pending = Buffer.alloc(0);
  }
}
