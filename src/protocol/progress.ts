/**
 * Terminal progress for long work (rollouts, training, image builds, model init, validation).
 * On a TTY: one status line on stderr, redrawn in place (a bar when the total is known). Anywhere
 * else (CI logs, pipes, files): quiet, whole plain lines only — one per `plainEveryPercent` of the
 * total and at most one per `plainEverySeconds` otherwise — never a carriage return or an escape.
 *
 * It sits at the bottom of the layers (it imports nothing) so that sandbox scripts and the CLI
 * share it.
 *
 *   const p = new Progress(process.stderr, 'rollout', { total: 64, unit: 'episodes' });
 *   p.tick(1, 'reward 0.41');  ...  p.done('64 episodes in 12 s');
 *   await withProgress(process.stderr, 'model init', async (p) => { p.status('writing GGUF'); ... });
 */

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** Known amount of work (a bar and a percentage); omit for work of unknown size. */
  total?: number;
  /** What is counted, e.g. 'episodes' (default: none). */
  unit?: string;
  /** False: print nothing at all (e.g. --no-progress). */
  enabled?: boolean;
  /** Not a TTY: a line each time this percentage of the total is crossed (default 10). */
  plainEveryPercent?: number;
  /** Not a TTY: at most this long without a line while work goes on (default 10 s). */
  plainEverySeconds?: number;
  /** A TTY is redrawn at most this often (default 100 ms), except for the final line. */
  redrawMs?: number;
  /** Clock in ms (tests). */
  now?: () => number;
}

const BAR_WIDTH = 24;

export class Progress {
  private done_ = 0;
  private detail = '';
  private readonly started: number;
  private lastDraw = -Infinity;
  private lastPlain: number;
  private lastBucket = -1;
  private shown = false;
  private finished = false;
  private readonly tty: boolean;
  private readonly now: () => number;

  constructor(private readonly stream: ProgressStream, private readonly label: string, private readonly options: ProgressOptions = {}) {
    this.now = options.now ?? (() => performance.now());
    this.started = this.now();
    this.lastPlain = this.started;
    this.tty = stream.isTTY === true;
  }

  get enabled(): boolean {
    return this.options.enabled !== false;
  }

  /** Sets how much is done (and optionally the detail text). */
  update(done: number, detail?: string): void {
    this.done_ = done;
    if (detail !== undefined) this.detail = detail;
    this.render(false);
  }

  tick(by = 1, detail?: string): void {
    this.update(this.done_ + by, detail);
  }

  /** Replaces the detail text (work of unknown size: what it is doing now). */
  status(detail: string): void {
    this.detail = detail;
    this.render(false);
  }

  /** Redraws the elapsed time (a timer calls this for work that reports nothing for a while). */
  heartbeat(): void {
    this.render(false);
  }

  /**
   * A whole line of its own (a step's summary, a warning), printed above the status line; `write`
   * sends it elsewhere (e.g. stdout, while the status line stays on stderr).
   */
  log(line: string, write: (text: string) => unknown = (text) => this.stream.write(text)): void {
    // Shown even when progress is off: it is the command's output, not progress.
    if (this.tty && this.shown && !this.finished) this.stream.write('\r\x1b[2K');
    write(`${line}\n`);
    this.lastPlain = this.now();
    if (this.tty && this.shown && !this.finished) this.draw();
  }

  /** The final line (with the final count, if given): always printed, whatever the throttles say. */
  done(summary?: string, count?: number): void {
    if (this.finished) return;
    if (summary !== undefined) this.detail = summary;
    if (count !== undefined) this.done_ = count;
    this.render(true);
    this.finished = true;
  }

  /** Ends without a final line (the caller prints its own summary): a TTY's status line is erased. */
  clear(): void {
    if (this.tty && this.shown && !this.finished) this.stream.write('\r\x1b[2K');
    this.finished = true;
  }

  /** The status text without bar or escapes: `label: 3/10 episodes (30%) · detail · 4 s`. */
  text(): string {
    const total = this.options.total;
    const unit = this.options.unit ? ` ${this.options.unit}` : '';
    const count = total !== undefined ? `${this.done_}/${total}${unit} (${Math.floor(this.fraction() * 100)}%)` : this.done_ > 0 ? `${this.done_}${unit}` : '';
    const seconds = (this.now() - this.started) / 1000;
    const elapsed = seconds < 60 ? `${seconds.toFixed(0)} s` : `${Math.floor(seconds / 60)} min ${Math.floor(seconds % 60)} s`;
    return `${this.label}: ${[count, this.detail, elapsed].filter(Boolean).join(' · ')}`;
  }

  private fraction(): number {
    const total = this.options.total;
    return total ? Math.min(1, this.done_ / total) : 0;
  }

  private render(final: boolean): void {
    if (!this.enabled || this.finished) return;
    const at = this.now();
    if (this.tty) {
      if (!final && at - this.lastDraw < (this.options.redrawMs ?? 100)) return;
      this.draw();
      if (final) this.stream.write('\n');
      return;
    }
    const every = this.options.plainEveryPercent ?? 10;
    const bucket = this.options.total ? Math.floor((this.fraction() * 100) / every) : -1;
    const crossed = bucket !== this.lastBucket && this.options.total !== undefined;
    const quietTooLong = at - this.lastPlain >= (this.options.plainEverySeconds ?? 10) * 1000;
    if (final || crossed || quietTooLong) {
      this.lastBucket = bucket;
      this.lastPlain = at;
      this.stream.write(`${this.text()}\n`);
    }
  }

  private draw(): void {
    this.lastDraw = this.now();
    this.shown = true;
    let line = this.text();
    if (this.options.total !== undefined) {
      const filled = Math.round(this.fraction() * BAR_WIDTH);
      line = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${line}`;
    }
    const width = this.stream.columns;
    if (width && line.length > width - 1) line = `${line.slice(0, Math.max(0, width - 2))}…`;
    this.stream.write(`\r\x1b[2K${line}`);
  }
}

/**
 * Runs `work` with a progress line whose elapsed time keeps moving (TTY: redrawn each second; not
 * a TTY: a line every `plainEverySeconds`), ended with `doneText(result)` or the error's first line.
 */
export async function withProgress<T>(
  stream: ProgressStream,
  label: string,
  work: (progress: Progress) => Promise<T>,
  options: ProgressOptions & { doneText?: (result: T) => string } = {},
): Promise<T> {
  const progress = new Progress(stream, label, options);
  progress.status('started');
  const timer = setInterval(() => progress.heartbeat(), 1000);
  timer.unref();
  try {
    const result = await work(progress);
    progress.done(options.doneText ? options.doneText(result) : 'done');
    return result;
  } catch (error) {
    progress.done(`failed: ${String((error as Error)?.message ?? error).split('\n')[0]}`);
    throw error;
  } finally {
    clearInterval(timer);
  }
}
