// `physarum engine serve` and `physarum model init` as a user runs them: real processes, real
// ports, one-line errors for bad flags.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseServeArgs } from '../../src/cli/engine.ts';
import { parseInitArgs } from '../../src/cli/model.ts';
import { bytesModel } from './tiny-models.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
const bin = path.join(root, 'bin', 'physarum.js');

describe('physarum engine serve', () => {
  it('serves a GGUF until SIGTERM and answers /generate with log-probs', async () => {
    const model = await bytesModel();
    const child = spawn(process.execPath, [bin, 'engine', 'serve', '--model', model.gguf, '--port', '0', '--sequences', '2', '--context', '256'], { cwd: root });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const found = /at (http:\/\/[^\s]+)/.exec(out);
          if (found) resolve(found[1]!);
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code} before serving`)));
      });
      expect((await fetch(`${url}/health`)).status).toBe(200);
      const res = await fetch(`${url}/generate`, { method: 'POST', body: JSON.stringify({ text: 'hi', return_logprob: true, sampling_params: { max_new_tokens: 3, ignore_eos: true } }) });
      const body = (await res.json()) as { output_ids: number[]; meta_info: { output_token_logprobs: unknown[] } };
      expect(body.output_ids).toHaveLength(3);
      expect(body.meta_info.output_token_logprobs).toHaveLength(3);
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', resolve)));
    expect(code).toBe(0);
  });

  it('names a missing model file in one line and exits 1', () => {
    const result = spawnSync(process.execPath, [bin, 'engine', 'serve', '--model', '/nope/model.gguf', '--port', '0'], { cwd: root, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe("physarum engine: model file '/nope/model.gguf' does not exist");
  });

  it('parses and checks flags', () => {
    expect(parseServeArgs(['--model', 'm.gguf'])).toMatchObject({ modelPath: 'm.gguf', port: 30000, host: '127.0.0.1', sequences: 4, contextSize: 4096, kvCacheType: 'F16' });
    expect(parseServeArgs(['--model', 'm.gguf', '--kv-cache', 'f32', '--threads', '3', '--weight-version', 'v2'])).toMatchObject({ kvCacheType: 'F32', threads: 3, weightVersion: 'v2' });
    expect(() => parseServeArgs([])).toThrow(/--model <file.gguf> is required/);
    expect(() => parseServeArgs(['--model', 'm', '--sequences', '0'])).toThrow("--sequences must be an integer >= 1, got '0'");
    expect(() => parseServeArgs(['--model', 'm', '--kv-cache', 'q8'])).toThrow("--kv-cache must be f16 or f32, got 'q8'");
    expect(() => parseServeArgs(['--model', 'm', '--bogus'])).toThrow(/Unknown option '--bogus'/);
  });
});

describe('physarum model init', () => {
  it('parses flags into initTinyModel options and rejects bad ones by name', () => {
    expect(parseInitArgs(['--out', 'd', '--layers', '3', '--hidden', '96', '--tokenizer', 'qwen3', '--seed', '0', '--init-std', '0.1'])).toEqual({
      out: 'd', arch: 'qwen3', layers: 3, hidden: 96, tokenizer: 'qwen3', seed: 0, initStd: 0.1,
    });
    expect(() => parseInitArgs([])).toThrow(/--out <dir> is required/);
    expect(() => parseInitArgs(['--out', 'd', '--tokenizer', 'bpe'])).toThrow("--tokenizer must be bytes or qwen3, got 'bpe'");
    expect(() => parseInitArgs(['--out', 'd', '--layers', '1.5'])).toThrow("--layers must be a positive integer, got '1.5'");
    expect(() => parseInitArgs(['--out', 'd', '--arch', 'llama'])).toThrow("--arch must be qwen3, got 'llama'");
  });
});
