/**
 * The Data Buffer: samples and groups stored durably in one SQLite file, with the dataset cursor
 * committed in the same transactions, reward normalization and staleness applied when a step takes
 * its batch, and every exclusion counted. See docs/data-buffer.md.
 */
import type Database from 'better-sqlite3';
import { InvalidInputError, throwIfAborted } from '../protocol/errors.ts';
import type { SampleInput } from '../protocol/sample.ts';
import { BufferError } from './errors.ts';
import type { GroupFilters, NormalizationMethod } from './normalize.ts';
import { raeDecay, type AdvantageEstimator, type RoleBaselines } from './role-baseline.ts';
import { groupWriter, type GroupPayload } from './group-writer.ts';
import { applyScoreUpdates, countGroups, findGroups, readCounters, samplesOfGroup, type GroupQuery, type ScoreUpdate } from './queries.ts';
import { IngestClient } from './ingest-client.ts';
import { groupKey, oldestVersion, sampleKey, type GroupState, type StoredGroup, type StoredSample } from './rows.ts';
import { encodeSample } from './sample-codec.ts';
import { CommitQueue, openDatabase, type Durability } from './store.ts';
import { RAE_BASELINES_KEY, takeGroups, type TakeBatchOptions, type TakenBatch } from './take-batch.ts';

export interface DataBufferOptions {
  /** Group reward normalization (default 'grpo'); used by the 'group' advantage estimator. */
  normalization?: NormalizationMethod;
  /**
   * How advantages are estimated. 'group' (default): each group's rewards normalized per role by
   * `normalization`. 'rae': reward minus a running per-(env, role) baseline (role-baseline.ts),
   * for self-play where one seat has an edge; `decay` defaults to 0.95.
   */
  advantage?: AdvantageEstimator;
  filters?: GroupFilters;
  /** Maximum weight-version lag of a sample at take time; unset means no staleness control. */
  maxWeightLag?: number;
  /** Keep too-stale samples (counted as stale_kept) instead of excluding them (stale_dropped). */
  keepStale?: boolean;
  /** Hold groups with aborted samples for resumption (default true); otherwise drop and count them. */
  partialRollout?: boolean;
  durability?: Durability;
  /**
   * 'inline' (default): ingest commits run on this thread. 'worker': on a worker thread with its
   * own connection, so validation here overlaps the commits and this event loop never waits on
   * one; it costs a thread start per open (files only).
   */
  writer?: 'worker' | 'inline';
}

export interface IngestAck {
  groupId: number;
  state: GroupState;
  samples: number;
  /** The group was already stored (a retried ingest): nothing was written twice. */
  duplicate: boolean;
  /** A stored partial group was replaced by its continuation. */
  resumed: boolean;
}

export type BufferEvent =
  | { type: 'ingested'; groupId: number; state: GroupState; samples: number; duplicate: boolean }
  | { type: 'batch'; step: number; groups: number; samples: number; replayed: boolean }
  | { type: 'checkpoint'; cursor: unknown }
  | { type: 'rescored'; samples: number };


export class DataBuffer {
  readonly options: Readonly<DataBufferOptions>;
  private readonly queue: CommitQueue;
  private readonly writer: ReturnType<typeof groupWriter>;
  private readonly client: IngestClient | undefined;
  private readonly listeners = new Set<(event: BufferEvent) => void>();
  private closed = false;
  private readonly sql;

  private constructor(
    readonly file: string,
    readonly db: Database.Database,
    options: DataBufferOptions,
  ) {
    if (options.maxWeightLag !== undefined && !(Number.isInteger(options.maxWeightLag) && options.maxWeightLag >= 0))
      throw new InvalidInputError(`maxWeightLag must be a non-negative integer, got ${String(options.maxWeightLag)}`);
    raeDecay(options.advantage);
    this.options = { normalization: 'grpo', partialRollout: true, ...options };
    this.queue = new CommitQueue(db);
    this.writer = groupWriter(db);
    const writer = options.writer ?? 'inline';
    if (writer === 'worker' && file === ':memory:') throw new InvalidInputError(`writer 'worker' needs a file: an in-memory buffer is private to one connection`);
    this.client = writer === 'worker' ? IngestClient.start(file, options.durability ?? 'process') : undefined;
    this.sql = {
      bump: db.prepare('INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + excluded.value'),
      getKv: db.prepare<[string], { value: string }>('SELECT value FROM kv WHERE key = ?'),
    };
  }

  /** Open (or create) a buffer file. ':memory:' gives a throwaway buffer. */
  static open(file: string, options: DataBufferOptions = {}): DataBuffer {
    const db = openDatabase(file, options.durability ?? 'process');
    try {
      return new DataBuffer(file, db, options);
    } catch (error) {
      db.close(); // a rejected option must not leak the open file
      throw error;
    }
  }

  /**
   * Store one group (or one sample, as a group of one). Resolves after the durable commit; a
   * retried group is acknowledged as a duplicate and not stored twice. `cursor` (the dataset
   * position after this group) is committed in the same transaction.
   */
  ingest(group: SampleInput | readonly SampleInput[], options: { cursor?: unknown; signal?: AbortSignal } = {}): Promise<IngestAck> {
    try {
      this.assertOpen();
      throwIfAborted(options.signal);
      const inputs = Array.isArray(group) ? group : [group as SampleInput];
      if (inputs.length === 0) throw new InvalidInputError('ingest needs at least one sample');
      const encoded = inputs.map((s, i) => encodeSample(s, `sample ${i}`));
      const first = encoded[0]!.sample;
      for (const { sample } of encoded) {
        if (sample.groupIndex !== first.groupIndex)
          throw new InvalidInputError(`a group must share one groupIndex: rolloutId ${sample.rolloutId} has ${sample.groupIndex}, the first sample has ${first.groupIndex}`);
      }
      const aborted = encoded.some((e) => e.sample.status === 'aborted');
      const payload: GroupPayload = {
        key: groupKey(encoded.map((e) => e.sample)),
        groupIndex: first.groupIndex,
        state: aborted ? (this.options.partialRollout ? 'partial' : 'dropped') : 'ready',
        cursor: options.cursor === undefined ? undefined : JSON.stringify(options.cursor),
        rows: encoded.map(({ sample, meta, arrays }) => ({
          sampleKey: sampleKey(sample),
          label: `rolloutId ${sample.rolloutId} (agent ${sample.agent}, fork ${sample.forkIndex})`,
          status: sample.status,
          reward: sample.reward,
          minVersion: oldestVersion(sample.weightVersions),
          hasVersions: sample.weightVersions.length > 0 ? 1 : 0,
          meta,
          arrays,
        })),
      };
      const commit = this.client ? this.client.ingest(payload) : this.queue.write(() => this.writer.write(payload));
      return commit.then((ack) => {
        this.emit({ type: 'ingested', groupId: ack.groupId, state: ack.state, samples: ack.samples, duplicate: ack.duplicate });
        return ack;
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Commit the dataset cursor (any JSON value); resolves after the commit. */
  async checkpoint(options: { cursor: unknown; signal?: AbortSignal }): Promise<void> {
    this.assertOpen();
    throwIfAborted(options.signal);
    const value = JSON.stringify(options.cursor);
    if (value === undefined) throw new InvalidInputError('checkpoint cursor must be a JSON value');
    await (this.client ? this.client.setCursor(value) : this.queue.write(() => this.writer.setCursor(value)));
    this.emit({ type: 'checkpoint', cursor: options.cursor });
  }

  /** The last committed dataset cursor, or undefined on a fresh buffer. */
  cursor<T = unknown>(): T | undefined {
    const row = this.sql.getKv.get('cursor');
    return row === undefined ? undefined : (JSON.parse(row.value) as T);
  }

  /**
   * Take the next step's groups: staleness, normalization and filters applied, groups marked
   * consumed by `step`. Taking the same step again returns the same groups (crash-safe resume).
   */
  async takeBatch(options: TakeBatchOptions & { signal?: AbortSignal }): Promise<TakenBatch> {
    this.assertOpen();
    throwIfAborted(options.signal);
    const batch = await this.queue.write(() => takeGroups(this, options));
    this.emit({ type: 'batch', step: batch.step, groups: batch.groups.length, samples: batch.samples.length, replayed: batch.replayed });
    return batch;
  }

  /** A step taken before, recomputed read-only (advantages from the stored rewards); empty if never taken. */
  stepBatch(step: number): TakenBatch {
    this.assertOpen();
    return takeGroups(this, { step, groups: Number.MAX_SAFE_INTEGER, replayOnly: true });
  }

  /** Hand out up to `groups` held partial (aborted) groups for resumption; they become `resumed`. */
  async takePartial(options: { groups: number; signal?: AbortSignal }): Promise<StoredGroup[]> {
    this.assertOpen();
    throwIfAborted(options.signal);
    return this.queue.write(() => {
      const found = this.groups({ state: 'partial', limit: options.groups });
      const mark = this.db.prepare(`UPDATE groups SET state = 'resumed' WHERE id = ?`);
      for (const g of found) mark.run(g.id);
      return found.map((g) => ({ ...g, state: 'resumed' as const }));
    });
  }

  /** Stored groups, oldest first, filtered by state, consuming step, or containing a sample status. */
  groups(query: GroupQuery = {}): StoredGroup[] {
    this.assertOpen();
    return findGroups(this.db, query);
  }

  samplesOf(groupId: number): StoredSample[] {
    return samplesOfGroup(this.db, groupId);
  }

  /** Replace rewards of stored samples (re-scoring with a changed rubric). */
  async updateScores(updates: readonly ScoreUpdate[], options: { signal?: AbortSignal } = {}): Promise<void> {
    this.assertOpen();
    throwIfAborted(options.signal);
    await this.queue.write(() => applyScoreUpdates(this.db, updates));
    this.emit({ type: 'rescored', samples: updates.length });
  }

  /** The running RAE baselines per `env/role` ({} before the first RAE take). */
  roleBaselines(): RoleBaselines {
    this.assertOpen();
    const row = this.sql.getKv.get(RAE_BASELINES_KEY);
    return row === undefined ? {} : (JSON.parse(row.value) as RoleBaselines);
  }

  /** Durable counters: ingests, statuses, duplicates, exclusions by reason, dropped groups, staleness. */
  counters(): Record<string, number> {
    return readCounters(this.db);
  }

  /** Number of groups in each state. */
  groupCounts(): Record<GroupState, number> {
    return countGroups(this.db);
  }

  /** Listen to ingests, batches, checkpoints and re-scores; returns the unsubscribe function. */
  onEvent(listener: (event: BufferEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** @internal used by takeGroups inside the commit */
  bumpCounter(name: string, by = 1): void {
    if (by !== 0) this.sql.bump.run(name, by);
  }

  /** Waits for queued writes, then closes the file. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.drain();
    this.queue.close();
    await this.client?.close();
    this.listeners.clear();
    this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new BufferError(`the buffer ${this.file} is closed`);
  }

  private emit(event: BufferEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A failing listener (e.g. a closed socket) must not fail the acknowledged write.
      }
    }
  }
}
