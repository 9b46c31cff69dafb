/**
 * The SQLite file behind a Data Buffer: schema, pragmas, and the group-commit queue.
 *
 * Durability. WAL journal; `durability: 'process'` (default) runs synchronous=NORMAL: a commit
 * is in the OS page cache when it returns, so it survives SIGKILL or a crash of this process, but
 * the newest commits can roll back on power loss or a kernel crash (the file stays consistent).
 * `durability: 'power'` runs synchronous=FULL: every commit is fsynced before it is acknowledged.
 *
 * Group commit. better-sqlite3 is synchronous; concurrent producers queue their writes and one
 * transaction per event-loop turn commits them all, so the per-commit cost is shared. Each write
 * runs in its own savepoint: a bad group fails alone. Promises resolve only after the COMMIT.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { BufferError } from './errors.ts';

export type Durability = 'process' | 'power';

export const STORE_SCHEMA_VERSION = 1;

const DDL = `
CREATE TABLE IF NOT EXISTS groups (
  id INTEGER PRIMARY KEY,
  group_key TEXT NOT NULL UNIQUE,
  group_index INTEGER NOT NULL,
  state TEXT NOT NULL,            -- ready | partial | consumed | resumed | dropped
  step INTEGER,                   -- the step that consumed it
  drop_reason TEXT,
  size INTEGER NOT NULL,
  ingested_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS groups_by_state ON groups(state, id);
CREATE INDEX IF NOT EXISTS groups_by_step ON groups(step);
CREATE TABLE IF NOT EXISTS samples (
  id INTEGER PRIMARY KEY,
  group_id INTEGER NOT NULL REFERENCES groups(id),
  sample_key TEXT NOT NULL UNIQUE, -- rolloutId, agent, forkIndex
  status TEXT NOT NULL,
  reward REAL,
  min_version INTEGER,            -- oldest weight version it was generated under (null: none or not numeric)
  has_versions INTEGER NOT NULL,
  excluded TEXT,                  -- set when a take ruled it out (stale)
  meta TEXT NOT NULL,
  arrays BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS samples_by_group ON samples(group_id);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

export function openDatabase(file: string, durability: Durability): Database.Database {
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (cause) {
    throw new BufferError(`cannot open buffer file ${file}: ${(cause as Error).message}`, { cause });
  }
  // Blobs of 2k-token samples are ~16 KiB: 64 KiB pages keep each in one or two pages instead of a
  // chain of 4 KiB overflow pages (measured 1.5x faster ingest). Only takes effect on a new file.
  db.pragma('page_size = 65536');
  db.pragma('journal_mode = WAL');
  // The default 2 MB page cache is ~30 pages of 64 KiB: too small to hold one group commit.
  db.pragma('cache_size = -65536');
  db.pragma(`synchronous = ${durability === 'power' ? 'FULL' : 'NORMAL'}`);
  // Several processes may share one buffer file; wait for the write lock rather than fail.
  db.pragma('busy_timeout = 10000');
  db.exec(DDL);
  const version = db.prepare(`SELECT value FROM kv WHERE key = 'schema_version'`).pluck().get() as string | undefined;
  if (version === undefined) db.prepare(`INSERT INTO kv (key, value) VALUES ('schema_version', ?)`).run(String(STORE_SCHEMA_VERSION));
  else if (Number(version) !== STORE_SCHEMA_VERSION)
    throw new BufferError(`buffer file ${file} has schema version ${version}; this build reads version ${STORE_SCHEMA_VERSION}`);
  return db;
}

interface PendingWrite {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Queue of writes committed together; see the file comment. */
export class CommitQueue {
  private pending: PendingWrite[] = [];
  private scheduled = false;
  private idle: Array<() => void> = [];
  private closed = false;

  constructor(
    private readonly db: Database.Database,
    private readonly maxPerCommit = 1024,
  ) {}

  /** Run `work` inside the next group transaction; resolves with its result after COMMIT. */
  write<T>(work: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new BufferError('the buffer is closed'));
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Resolves once every queued write has committed or failed. */
  drain(): Promise<void> {
    if (this.pending.length === 0 && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  close(): void {
    this.closed = true;
  }

  private flush(): void {
    const batch = this.pending.splice(0, this.maxPerCommit);
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      // IMMEDIATE: take the write lock up front (waiting up to busy_timeout). A deferred transaction
      // that reads first would fail with SQLITE_BUSY_SNAPSHOT if another process wrote meanwhile.
      this.db.transaction(() => {
        for (const item of batch) {
          try {
            // A nested better-sqlite3 transaction is a SAVEPOINT: a failure rolls back this write only.
            outcomes.push({ ok: true, value: this.db.transaction(item.work)() });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      }).immediate();
    } catch (cause) {
      const error = new BufferError(`commit failed: ${(cause as Error).message}`, { cause, isRetryable: true });
      for (const item of batch) item.reject(error);
      return this.afterFlush();
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
    this.afterFlush();
  }

  private afterFlush(): void {
    if (this.pending.length > 0) setImmediate(() => this.flush());
    else {
      this.scheduled = false;
      for (const resolve of this.idle.splice(0)) resolve();
    }
  }
}
