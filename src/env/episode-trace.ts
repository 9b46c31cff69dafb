/**
 * Where an episode's time went, as spans: the episode, its sandbox lease, each model turn, each
 * env step with its tool calls, the sandbox calls the tools made, and scoring. Recorded only when
 * the caller asks (`RunEpisodeOptions.onSpans`); otherwise every `time()` just runs its function.
 * A timeline writer (driver/timeline.ts) lays them out as Chrome trace events.
 *
 * Tool calls find the recorder on their context (`spanRecorderOf(ctx)`): it rides on the episode's
 * context under a symbol, so a context spread into a tool's context carries it along.
 */

export interface EpisodeSpan {
  name: string;
  /** episode | sandbox | turn | env | tool | score */
  cat: string;
  /** Epoch milliseconds (sub-millisecond precision). */
  startMs: number;
  endMs: number;
  args?: Record<string, unknown>;
}

// timeOrigin is read once: the getter costs more than now() itself.
const ORIGIN = performance.timeOrigin;
const now = (): number => ORIGIN + performance.now();

export class SpanRecorder {
  readonly spans: EpisodeSpan[] = [];
  constructor(readonly enabled: boolean) {}

  /** Runs `fn` and records it as a span (also when it throws); `args` may be filled in by `fn`. */
  async time<T>(name: string, cat: string, fn: () => Promise<T> | T, args?: Record<string, unknown>): Promise<T> {
    if (!this.enabled) return fn();
    const startMs = now();
    try {
      return await fn();
    } finally {
      this.spans.push({ name, cat, startMs, endMs: now(), ...(args ? { args } : {}) });
    }
  }

  /** A span that started at `startMs` and ends now. */
  record(name: string, cat: string, startMs: number, args?: Record<string, unknown>): void {
    if (this.enabled) this.spans.push({ name, cat, startMs, endMs: now(), ...(args ? { args } : {}) });
  }

  now(): number {
    return now();
  }
}

const RECORDER = Symbol('physarum.spanRecorder');

export function attachSpanRecorder(ctx: object, recorder: SpanRecorder): void {
  Object.defineProperty(ctx, RECORDER, { value: recorder, enumerable: true, configurable: true });
}

export function spanRecorderOf(ctx: object): SpanRecorder | undefined {
  return (ctx as { [RECORDER]?: SpanRecorder })[RECORDER];
}

/** The sandbox calls a tool or rubric makes, timed; everything else passes through untouched. */
const TIMED_METHODS = new Set(['exec', 'readFile', 'readFileBytes', 'writeFile', 'listFiles', 'finalize']);

const describeCommand = (cmd: unknown): string => {
  const text = Array.isArray(cmd) ? cmd.join(' ') : String(cmd);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
};

/**
 * The episode's sandbox as tools see it when spans are recorded: its promise-returning calls
 * (`exec`, file reads and writes, `finalize`) become `sandbox` spans. Methods run on the real
 * sandbox (`this` is the target), so private state and identity checks inside it still hold.
 */
export function timedSandbox<T>(sandbox: T, recorder: SpanRecorder): T {
  if (!recorder.enabled || sandbox === null || typeof sandbox !== 'object') return sandbox;
  return new Proxy(sandbox as object, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof key !== 'string' || typeof value !== 'function') return value;
      if (!TIMED_METHODS.has(key)) return (value as (...a: unknown[]) => unknown).bind(target);
      return (...args: unknown[]) => {
        const detail = key === 'exec' ? { cmd: describeCommand(args[0]) } : typeof args[0] === 'string' ? { path: args[0] } : undefined;
        return recorder.time(key, 'sandbox', () => (value as (...a: unknown[]) => unknown).apply(target, args), detail);
      };
    },
  }) as T;
}
