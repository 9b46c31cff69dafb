/**
 * A model directory the driver can open without weights: the byte-vocabulary tokenizer of
 * tests/vectors and an empty config. Enough for runs on the scripted engine with a worker double.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

export function byteModelDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const vectors = JSON.parse(readFileSync(path.join(root, 'tests/vectors/tokenizer-bytes.json'), 'utf8'));
  writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(vectors.tokenizerJson));
  writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(vectors.tokenizerConfig));
  writeFileSync(path.join(dir, 'config.json'), '{}');
  return dir;
}
