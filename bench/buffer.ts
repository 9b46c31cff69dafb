/**
 * `npm run bench -- buffer`: Data Buffer ingest and trainer-batch build, side by side with their
 * baselines, in one run.
 *
 * ingest_per_s: samples/s acknowledged after a durable commit (WAL, synchronous=NORMAL: survives
 *   SIGKILL of the process), 2048-token samples with log-probs, 4 concurrent producers sending
 *   groups of 8. Also: the same with synchronous=FULL (fsync per commit: survives power loss),
 *   with the worker writer (commits on a worker thread), and plain SQLite (one transaction per sample, three blob columns, 4 KiB pages). The CPU time
 *   per sample is printed too: on a shared machine it moves less than the wall-clock rate.
 * build_ratio: trainer-batch frame bytes/s built from samples as the buffer holds them in memory
 *   (packed typed arrays) into a reused output buffer, over memcpy bytes/s of the same bytes into
 *   a reused buffer; median of interleaved runs. Also: into a fresh allocation, from plain
 *   JS-array samples, and as plain msgpack with bin fields (the rejected format).
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Packr } from 'msgpackr';
import { DataBuffer } from '../src/buffer/data-buffer.ts';
import type { Durability } from '../src/buffer/store.ts';
import { buildTrainerBatch, type BatchSample } from '../src/buffer/pack.ts';
import { packArrays } from '../src/buffer/sample-codec.ts';
import { encodeTrainerBatch } from '../src/buffer/wire.ts';
import { Sample, type SampleInput } from '../src/protocol/sample.ts';

const PROMPT = 512;
const RESPONSE = 1536;
const GROUP = 8;
const PRODUCERS = 4;

function sample(index: number): SampleInput {
  const tokens = new Array<number>(PROMPT + RESPONSE);
  for (let k = 0; k < tokens.length; k++) tokens[k] = (index * 7919 + k * 31) % 151_000;
  const lossMask = new Array<0 | 1>(RESPONSE);
  const rolloutLogProbs = new Array<number>(RESPONSE);
  for (let k = 0; k < RESPONSE; k++) {
    lossMask[k] = k % 50 < 45 ? 1 : 0;
    rolloutLogProbs[k] = lossMask[k] ? Math.fround(-Math.random() * 3) : 0;
  }
  return {
    schemaVersion: 1, index, groupIndex: Math.floor(index / GROUP), rolloutId: `bench-${index}`, prompt: 'Solve the task.', tokens,
    responseLength: RESPONSE, response: 'x'.repeat(400), lossMask, rolloutLogProbs, reward: index % 3 === 0 ? 1 : 0, status: 'completed',
    weightVersions: ['7'], spans: [{ kind: 'prompt', start: 0, end: PROMPT, turn: 0 }, { kind: 'sampled', start: PROMPT, end: PROMPT + RESPONSE, turn: 0 }], turns: 1,
    metadata: { task: 'bench' },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Samples/s over wall time, and CPU µs per sample (less sensitive to other jobs on the machine). */
async function ingestRate(groups: SampleInput[][], durability: Durability, dir: string, writer: 'inline' | 'worker' = 'inline'): Promise<{ rate: number; cpuMicros: number }> {
  const file = path.join(dir, `ingest-${durability}-${Math.random()}.sqlite`);
  const buffer = DataBuffer.open(file, { durability, writer });
  await buffer.checkpoint({ cursor: null }); // the worker writer has started before the clock does
  let next = 0;
  const start = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: PRODUCERS }, async () => {
      while (next < groups.length) await buffer.ingest(groups[next++]!);
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  await buffer.close();
  rmSync(file, { force: true });
  const samples = groups.length * GROUP;
  return { rate: samples / seconds, cpuMicros: (used.user + used.system) / samples };
}

function plainRate(samples: SampleInput[], dir: string): number {
  const db = new Database(path.join(dir, 'plain.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE s (id INTEGER PRIMARY KEY, meta TEXT, tokens BLOB, logprobs BLOB, mask BLOB)');
  const insert = db.prepare('INSERT INTO s (meta, tokens, logprobs, mask) VALUES (?, ?, ?, ?)');
  const start = performance.now();
  for (const s of samples) {
    const { tokens, rolloutLogProbs, lossMask, ...meta } = s;
    db.transaction(() => insert.run(JSON.stringify(meta), Buffer.from(new Int32Array(tokens).buffer), Buffer.from(new Float32Array(rolloutLogProbs).buffer), Buffer.from(new Uint8Array(lossMask).buffer)))();
  }
  const rate = samples.length / ((performance.now() - start) / 1000);
  db.close();
  return rate;
}

function buildRatio(items: BatchSample[], encode: (items: BatchSample[]) => Uint8Array, runs = 25): number {
  const frame = encode(items);
  const target = new Uint8Array(frame.byteLength);
  const ratios: number[] = [];
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    encode(items);
    const build = performance.now() - t;
    t = performance.now();
    target.set(frame);
    const copy = performance.now() - t;
    ratios.push(copy / build);
  }
  return median(ratios);
}

export default async function bench(argv: string[]): Promise<void> {
  const groupsPerRun = Number(argv[0] ?? 150);
  const dir = mkdtempSync(path.join(tmpdir(), 'physarum-bench-buffer-'));
  try {
    const groups = Array.from({ length: groupsPerRun }, (_, g) => Array.from({ length: GROUP }, (_, k) => sample(g * GROUP + k)));
    await ingestRate(groups.slice(0, 10), 'process', dir); // warm-up: JIT and page cache
    const normal: number[] = [];
    const full: number[] = [];
    const cpuMicros: number[] = [];
    const worker: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      const n = await ingestRate(groups, 'process', dir);
      normal.push(n.rate);
      cpuMicros.push(n.cpuMicros);
      full.push((await ingestRate(groups, 'power', dir)).rate);
      worker.push((await ingestRate(groups, 'process', dir, 'worker')).rate);
    }
    const plain = plainRate(groups.flat().slice(0, 600), dir);
    console.log(`ingest (samples/s, ${PRODUCERS} producers, groups of ${GROUP}): NORMAL runs ${normal.map((r) => r.toFixed(0)).join(', ')}; FULL runs ${full.map((r) => r.toFixed(0)).join(', ')}; NORMAL with the worker writer ${worker.map((r) => r.toFixed(0)).join(', ')}; plain SQLite ${plain.toFixed(0)}`);

    const parsed = groups.slice(0, 32).flat().map((s) => Sample.parse(s));
    const packed: BatchSample[] = parsed.map((s, i) => ({ sample: s, advantage: (i % 5) - 2, packed: packArrays(s) }));
    const plainItems: BatchSample[] = parsed.map((s, i) => ({ sample: s, advantage: (i % 5) - 2 }));
    const options = { maxTokensPerGpu: 16_384, dpSize: 4, step: 0 };
    // A sender reuses one output buffer (EncodeOptions.target), as memcpy's destination is reused.
    const target = new Uint8Array(encodeTrainerBatch(buildTrainerBatch(packed, options)).byteLength);
    const phtb = (items: BatchSample[]) => encodeTrainerBatch(buildTrainerBatch(items, options), { target });
    const phtbAlloc = (items: BatchSample[]) => encodeTrainerBatch(buildTrainerBatch(items, options));
    const msgpack = new Packr({ useRecords: false });
    // The alternative wire: one msgpack document, each micro-batch array a bin field.
    const msgpackFrame = (items: BatchSample[]) => {
      const batch = buildTrainerBatch(items, options);
      return msgpack.pack({
        step: 0,
        ranks: batch.ranks.map((rank) =>
          rank.map((mb) => ({
            tokens: Buffer.concat(mb.samples.map((s) => Buffer.from(s.packed!.tokens.buffer, s.packed!.tokens.byteOffset, s.packed!.tokens.byteLength))),
            logProbs: Buffer.concat(mb.samples.map((s) => Buffer.from(s.packed!.logProbs.buffer, s.packed!.logProbs.byteOffset, s.packed!.logProbs.byteLength))),
            mask: Buffer.concat(mb.samples.map((s) => Buffer.from(s.packed!.mask.buffer, s.packed!.mask.byteOffset, s.packed!.mask.byteLength))),
            lengths: Buffer.from(new Int32Array(mb.samples.map((s) => s.sample.tokens.length)).buffer),
          })),
        ),
      });
    };
    const ratio = buildRatio(packed, phtb, 151);
    const ratioAlloc = buildRatio(packed, phtbAlloc, 51);
    const ratioJs = buildRatio(plainItems, phtb, 9);
    const ratioMsgpack = buildRatio(packed, msgpackFrame, 51);
    console.log(`trainer batch: ${(phtb(packed).byteLength / 1e6).toFixed(1)} MB from ${packed.length} samples; build/memcpy median ratios: PHTB ${ratio.toFixed(3)}, PHTB into a fresh allocation ${ratioAlloc.toFixed(3)}, PHTB from JS arrays ${ratioJs.toFixed(3)}, msgpack bins ${ratioMsgpack.toFixed(3)}`);
    console.log(
      `bench buffer: ingest_per_s=${median(normal).toFixed(0)} build_ratio=${ratio.toFixed(3)} ingest_cpu_us_per_sample=${median(cpuMicros).toFixed(0)} ingest_per_s_fsync=${median(full).toFixed(0)} ingest_per_s_worker=${median(worker).toFixed(0)} plain_sqlite_per_s=${plain.toFixed(0)} build_ratio_alloc=${ratioAlloc.toFixed(3)} build_ratio_js_arrays=${ratioJs.toFixed(3)} build_ratio_msgpack=${ratioMsgpack.toFixed(3)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
