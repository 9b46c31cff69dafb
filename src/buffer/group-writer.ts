/**
 * Writing one ingested group: the dedupe / resume / insert logic, on a given connection. Used
 * inline and by the ingest worker, so both paths store exactly the same rows. Its input is plain
 * data (structured-clone safe) so it can cross to the worker.
 */
import type Database from 'better-sqlite3';
import { InvalidInputError } from '../protocol/errors.ts';
import type { GroupRow, GroupState } from './rows.ts';

export interface GroupPayload {
  key: string;
  groupIndex: number;
  state: GroupState;
  /** JSON of the dataset cursor to commit with the group. */
  cursor?: string;
  rows: Array<{
    sampleKey: string;
    label: string;
    status: string;
    reward: number | null;
    minVersion: number | null;
    hasVersions: number;
    meta: string;
    arrays: Uint8Array;
  }>;
}

export interface GroupWriteResult {
  groupId: number;
  state: GroupState;
  samples: number;
  duplicate: boolean;
  resumed: boolean;
}

export function groupWriter(db: Database.Database): { write(payload: GroupPayload): GroupWriteResult; setCursor(json: string): void } {
  const sql = {
    groupByKey: db.prepare<[string], GroupRow>('SELECT * FROM groups WHERE group_key = ?'),
    insertGroup: db.prepare('INSERT INTO groups (group_key, group_index, state, size, ingested_at, drop_reason) VALUES (?, ?, ?, ?, ?, ?)'),
    replaceGroup: db.prepare('UPDATE groups SET state = ?, size = ?, ingested_at = ?, drop_reason = ?, step = NULL WHERE id = ?'),
    deleteSamples: db.prepare('DELETE FROM samples WHERE group_id = ?'),
    insertSample: db.prepare(
      'INSERT INTO samples (group_id, sample_key, status, reward, min_version, has_versions, meta, arrays) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    bump: db.prepare('INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + excluded.value'),
    setKv: db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
  };
  const setCursor = (json: string) => void sql.setKv.run('cursor', json);

  function write(p: GroupPayload): GroupWriteResult {
    const now = Date.now();
    const dropReason = p.state === 'dropped' ? 'aborted' : null;
    if (p.cursor !== undefined) setCursor(p.cursor);
    const existing = sql.groupByKey.get(p.key);
    if (existing && existing.state !== 'partial' && existing.state !== 'resumed') {
      sql.bump.run('duplicate_groups', 1);
      return { groupId: existing.id, state: existing.state, samples: existing.size, duplicate: true, resumed: false };
    }
    let groupId: number;
    if (existing) {
      // The continuation of a held partial group replaces it.
      sql.deleteSamples.run(existing.id);
      sql.replaceGroup.run(p.state, p.rows.length, now, dropReason, existing.id);
      groupId = existing.id;
      sql.bump.run('resumed_groups', 1);
    } else {
      groupId = Number(sql.insertGroup.run(p.key, p.groupIndex, p.state, p.rows.length, now, dropReason).lastInsertRowid);
    }
    const statuses = new Map<string, number>();
    for (const row of p.rows) {
      // A Uint8Array that crossed from another thread arrives without Buffer's prototype.
      const blob = Buffer.isBuffer(row.arrays) ? row.arrays : Buffer.from(row.arrays.buffer, row.arrays.byteOffset, row.arrays.byteLength);
      try {
        sql.insertSample.run(groupId, row.sampleKey, row.status, row.reward, row.minVersion, row.hasVersions, row.meta, blob);
      } catch (cause) {
        if ((cause as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw cause;
        throw new InvalidInputError(`${row.label} is already stored in another group`);
      }
      statuses.set(row.status, (statuses.get(row.status) ?? 0) + 1);
    }
    for (const [status, n] of statuses) sql.bump.run(`status_${status}`, n);
    sql.bump.run('ingested_samples', p.rows.length);
    sql.bump.run(`groups_${p.state}`, 1);
    return { groupId, state: p.state, samples: p.rows.length, duplicate: false, resumed: existing !== undefined };
  }
  return { write, setCursor };
}
