/**
 * Reads of the buffer file (groups, counters) and the one non-ingest sample write (re-scoring).
 * Plain functions over a connection, so DataBuffer stays a thin lifecycle and commit wrapper.
 */
import type Database from 'better-sqlite3';
import { InvalidInputError } from '../protocol/errors.ts';
import type { SampleStatus } from '../protocol/sample.ts';
import type { GroupRow, GroupState, SampleRow, StoredGroup, StoredSample } from './rows.ts';
import { decodeSample } from './sample-codec.ts';

export interface GroupQuery {
  state?: GroupState;
  /** The step that consumed (or dropped) the group. */
  step?: number;
  /** Groups holding at least one sample with this status. */
  status?: string;
  limit?: number;
}

export interface ScoreUpdate {
  id: number;
  reward: number | null;
  rewards?: Record<string, number>;
  /** Set when re-scoring failed: the sample becomes a verifier_error (reward null), never 0. */
  status?: SampleStatus;
  statusReason?: string;
}

export function samplesOfGroup(db: Database.Database, groupId: number): StoredSample[] {
  return db
    .prepare<[number], SampleRow>('SELECT * FROM samples WHERE group_id = ? ORDER BY id')
    .all(groupId)
    .map((r) => ({ id: r.id, groupId: r.group_id, sample: decodeSample(r.meta, r.arrays) }));
}

export function findGroups(db: Database.Database, query: GroupQuery): StoredGroup[] {
  const where: string[] = [];
  const args: unknown[] = [];
  const filter = (clause: string, value: unknown) => {
    where.push(clause);
    args.push(value);
  };
  if (query.state) filter('state = ?', query.state);
  if (query.step !== undefined) filter('step = ?', query.step);
  if (query.status) filter('id IN (SELECT group_id FROM samples WHERE status = ?)', query.status);
  const sql = `SELECT * FROM groups ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`;
  return db
    .prepare<unknown[], GroupRow>(sql)
    .all(...args, query.limit ?? -1)
    .map((g) => ({ id: g.id, groupIndex: g.group_index, state: g.state, step: g.step, dropReason: g.drop_reason, samples: samplesOfGroup(db, g.id) }));
}

export function readCounters(db: Database.Database): Record<string, number> {
  const rows = db.prepare<[], { name: string; value: number }>('SELECT name, value FROM counters ORDER BY name').all();
  return Object.fromEntries(rows.map((r) => [r.name, r.value]));
}

export function countGroups(db: Database.Database): Record<GroupState, number> {
  const counts: Record<GroupState, number> = { ready: 0, partial: 0, consumed: 0, resumed: 0, dropped: 0 };
  for (const r of db.prepare<[], { state: GroupState; n: number }>('SELECT state, COUNT(*) AS n FROM groups GROUP BY state').all()) counts[r.state] = r.n;
  return counts;
}

/** Apply re-scores (inside the caller's transaction): reward, rewards, and status on failure. */
export function applyScoreUpdates(db: Database.Database, updates: readonly ScoreUpdate[]): void {
  const byId = db.prepare<[number], SampleRow>('SELECT * FROM samples WHERE id = ?');
  const update = db.prepare('UPDATE samples SET reward = ?, status = ?, meta = ? WHERE id = ?');
  for (const u of updates) {
    const row = byId.get(u.id);
    if (!row) throw new InvalidInputError(`no stored sample has id ${u.id}`);
    const meta = JSON.parse(row.meta) as Record<string, unknown>;
    meta.reward = u.reward;
    if (u.rewards) meta.rewards = u.rewards;
    if (u.status) meta.status = u.status;
    if (u.statusReason !== undefined) meta.statusReason = u.statusReason;
    update.run(u.reward, u.status ?? row.status, JSON.stringify(meta), u.id);
  }
  db.prepare('INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + excluded.value').run('rescored_samples', updates.length);
}
