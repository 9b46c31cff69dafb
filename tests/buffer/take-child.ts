// A trainer-side process for the multi-process test: takes batches of 2 groups (steps from
// `firstStep` up) until the buffer has none ready, printing `took <groupId>` per group.
import { writeSync } from 'node:fs';
import { DataBuffer } from '../../src/buffer/data-buffer.ts';

const [file, firstStep] = process.argv.slice(2);
const buffer = DataBuffer.open(file!);
for (let step = Number(firstStep); ; step++) {
  const batch = await buffer.takeBatch({ step, groups: 2 });
  if (batch.groups.length === 0) break;
  for (const g of batch.groups) writeSync(1, `took ${g.id}\n`);
}
await buffer.close();
writeSync(1, 'done\n');
