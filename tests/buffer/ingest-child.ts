// A producer process for the crash and multi-process tests: ingests groups [from, to) with
// `producers` concurrent loops and prints `ack <groupIndex> <groupId>` only after each commit.
import { writeSync } from 'node:fs';
import { DataBuffer } from '../../src/buffer/data-buffer.ts';
import { makeGroup } from './make-sample.ts';

const [file, fromArg, toArg, producersArg = '4', tag = 'child', writer = 'inline'] = process.argv.slice(2);
const from = Number(fromArg);
const to = Number(toArg);
const buffer = DataBuffer.open(file!, { writer: writer as 'inline' | 'worker' });
let next = from;
await Promise.all(
  Array.from({ length: Number(producersArg) }, async () => {
    while (next < to) {
      const g = next++;
      const ack = await buffer.ingest(makeGroup(g, [1, 0, 1, 0], g * 4, { promptTokens: 200, responseTokens: 300, metadata: { producer: tag } }), {
        cursor: { offset: g + 1 },
      });
      writeSync(1, `ack ${g} ${ack.groupId} ${ack.duplicate ? 'dup' : 'new'}\n`);
    }
  }),
);
await buffer.close();
writeSync(1, 'done\n');
