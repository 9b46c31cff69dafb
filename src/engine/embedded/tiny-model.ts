/**
 * Tiny randomly initialized models, made locally with no downloads: the TypeScript face of
 * `physarum_trainer.model_init` (Python: transformers writes the HF checkpoint, gguf-py the GGUF).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { InvalidInputError, throwIfAborted } from '../../protocol/errors.ts';
import { EmbeddedEngineError } from './llama-runtime.ts';

export interface TinyModelOptions {
  out: string;
  arch?: 'qwen3';
  layers?: number;
  hidden?: number;
  heads?: number;
  kvHeads?: number;
  intermediate?: number;
  /** Trained context length written into config.json and the GGUF. */
  context?: number;
  /** Std of the random init; larger values give peakier, less uniform next-token distributions. */
  initStd?: number;
  tokenizer?: 'bytes' | 'qwen3';
  seed?: number;
  /** Storage type of the GGUF's matrices (norms stay f32). */
  ggufDtype?: 'f32' | 'f16';
}

export interface TinyModel {
  /** The HF checkpoint directory (config.json, model.safetensors, tokenizer files). */
  dir: string;
  /** The matching GGUF for the embedded engine. */
  gguf: string;
}

const repoRoot = path.resolve(import.meta.dirname, '..', '..', '..');

/** The project's Python: $PHYSARUM_PYTHON, else the repo's .venv (scripts/setup.mjs creates it). */
export function projectPython(): string {
  const fromEnv = process.env.PHYSARUM_PYTHON;
  if (fromEnv) return fromEnv;
  const venv = path.join(repoRoot, '.venv', 'bin', 'python');
  if (!existsSync(venv)) throw new EmbeddedEngineError(`no Python at ${venv}: run 'npm run setup' (or set PHYSARUM_PYTHON)`);
  return venv;
}

/** Run `python -m physarum_trainer.<module> args` and return its stdout. */
export async function runTrainerModule(module: string, args: string[], { signal, input }: { signal?: AbortSignal; input?: string } = {}): Promise<string> {
  throwIfAborted(signal);
  const env = { ...process.env, PYTHONPATH: [path.join(repoRoot, 'trainer'), process.env.PYTHONPATH].filter(Boolean).join(path.delimiter) };
  const child = spawn(projectPython(), ['-m', `physarum_trainer.${module}`, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(input ?? '');
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  }).catch((error: unknown) => {
    throwIfAborted(signal);
    throw new EmbeddedEngineError(`cannot run physarum_trainer.${module}: ${(error as Error).message}`, error);
  });
  if (code !== 0) {
    const lastLine = stderr.trim().split('\n').at(-1) ?? '';
    // The module prints expected failures as one "physarum ...: reason" line.
    if (code === 1 && lastLine.startsWith('physarum ')) throw new InvalidInputError(lastLine.replace(/^physarum [^:]+: /, ''));
    throw new EmbeddedEngineError(`physarum_trainer.${module} exited with ${code}: ${stderr.trim().slice(-2000)}`);
  }
  return stdout;
}

export async function initTinyModel(options: TinyModelOptions, { signal }: { signal?: AbortSignal } = {}): Promise<TinyModel> {
  const flags: Array<[string, string | number | undefined]> = [
    ['--arch', options.arch], ['--layers', options.layers], ['--hidden', options.hidden], ['--heads', options.heads],
    ['--kv-heads', options.kvHeads], ['--intermediate', options.intermediate], ['--context', options.context],
    ['--init-std', options.initStd], ['--tokenizer', options.tokenizer], ['--seed', options.seed],
    ['--gguf-dtype', options.ggufDtype], ['--out', path.resolve(options.out)],
  ];
  const args = flags.flatMap(([flag, value]) => (value === undefined ? [] : [flag, String(value)]));
  const stdout = await runTrainerModule('model_init', args, signal ? { signal } : {});
  const last = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as TinyModel;
}
