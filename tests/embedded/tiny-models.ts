// Tiny models for the embedded-engine tests, made once per machine through the real CLI path
// (initTinyModel → Python) and cached under .cache/; a rename makes concurrent test files safe.
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { initTinyModel, type TinyModel, type TinyModelOptions } from '../../src/engine/embedded/index.ts';

const cacheDir = path.resolve(import.meta.dirname, '..', '..', '.cache', 'embedded-tests');

export async function tinyModel(key: string, options: Omit<TinyModelOptions, 'out'>): Promise<TinyModel> {
  const dir = path.join(cacheDir, key);
  const gguf = path.join(dir, 'model.gguf');
  if (existsSync(gguf)) return { dir, gguf };
  await mkdir(cacheDir, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await initTinyModel({ ...options, out: tmp });
  try {
    await rename(tmp, dir);
  } catch {
    await rm(tmp, { recursive: true, force: true }); // another test file won the race
  }
  return { dir, gguf };
}

/** A 2-layer byte-vocabulary model with a peaky distribution (init std 0.5), f32 weights. */
export const bytesModel = (seed = 1): Promise<TinyModel> => tinyModel(`bytes-s${seed}`, { tokenizer: 'bytes', seed, initStd: 0.5 });

/** The same shape with the real Qwen3 tokenizer (151,669 ids), f16 matrices to stay small. */
export const qwen3Model = (): Promise<TinyModel> => tinyModel('qwen3-s3', { tokenizer: 'qwen3', seed: 3, initStd: 0.5, ggufDtype: 'f16' });
