/** The shapes of exec and file operations, shared by the sandbox and its tools. */

export interface ExecOptions {
  /** Kill the command (its whole process group) after this; the result has `timedOut`. Default 300 s. */
  timeoutMs?: number;
  stdin?: string | Uint8Array;
  env?: Record<string, string>;
  /** Relative to the workdir, or absolute. Default: the workdir. */
  cwd?: string;
  signal?: AbortSignal;
  /** Per stream; output past it is dropped and `truncated` set. Default 1 MiB. */
  maxOutputBytes?: number;
  /**
   * What survives the cap: 'head' (default) keeps the first bytes; 'middle' keeps the first and
   * last halves with a `[... N bytes omitted ...]` line between (streamed chunks are the head only).
   */
  truncate?: 'head' | 'middle';
}

export interface ExecResult {
  /** The command's exit code; 128+n when killed by signal n; 124 when it timed out. */
  exitCode: number;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** Some output was dropped at `maxOutputBytes`. */
  truncated: boolean;
  timedOut: boolean;
  durationMs: number;
}

export interface FileEntry {
  /** Relative to the listed directory. */
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  size: number;
  mode: number;
}

export interface ListOptions {
  /** 1 = the directory's own entries; larger descends. Default 1. */
  maxDepth?: number;
  maxEntries?: number;
  includeHidden?: boolean;
  signal?: AbortSignal;
}
