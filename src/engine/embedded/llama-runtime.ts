/**
 * node-llama-cpp, loaded the one way physarum uses it: the prebuilt CPU binary only (never a
 * source build, never a GPU probe), an explicit thread count, and GGUF files opened read-only
 * (llama.cpp memory-maps them, which is why new weights always arrive under a new path).
 */
import { availableParallelism } from 'node:os';
import { access } from 'node:fs/promises';
import { getLlama, LlamaLogLevel, type Llama, type LlamaContext, type LlamaModel } from 'node-llama-cpp';
import { InvalidInputError, PhysarumError, throwIfAborted } from '../../protocol/errors.ts';
import type { SampleStatus } from '../../protocol/sample.ts';

export type KvCacheType = 'F16' | 'F32';

export interface LlamaLoadOptions {
  /** Parallel sequences in one context (each gets its own `contextSize` of KV cells). */
  sequences?: number;
  /** Tokens per sequence. */
  contextSize?: number;
  /** CPU threads; defaults to cores − 1 (llama.cpp's own default oversubscribes small machines). */
  threads?: number;
  /** KV-cache precision: F16 (llama.cpp's default) or F32 (exact log-prob parity checks). */
  kvCacheType?: KvCacheType;
  /**
   * llama.cpp's CPU flash attention computes in f16 (log-probs drift by ~1e-2 on peaky models), so
   * it is off whenever the KV cache is F32; with F16 it defaults to llama.cpp's "auto".
   */
  flashAttention?: boolean;
  signal?: AbortSignal;
}

export interface LoadedLlama {
  model: LlamaModel;
  context: LlamaContext;
  modelPath: string;
  threads: number;
}

export class EmbeddedEngineError extends PhysarumError {
  static override readonly sampleStatus: SampleStatus = 'model_error';
  constructor(message: string, cause?: unknown) {
    super('PHYSARUM_ENGINE_EMBEDDED', message, { cause });
  }
}

let llamaPromise: Promise<Llama> | undefined;

/** The process-wide llama.cpp binding (CPU build). */
export function getCpuLlama(): Promise<Llama> {
  llamaPromise ??= getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, usePrebuiltBinaries: true }).catch(
    (error: unknown) => {
      llamaPromise = undefined;
      throw new EmbeddedEngineError(`cannot load the llama.cpp CPU binary (@node-llama-cpp/linux-x64): ${(error as Error).message}`, error);
    },
  );
  return llamaPromise;
}

export function defaultThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

/** Load a GGUF and create one context with `sequences` parallel sequences. */
export async function loadLlama(modelPath: string, options: LlamaLoadOptions = {}): Promise<LoadedLlama> {
  try {
    await access(modelPath);
  } catch {
    throw new InvalidInputError(`model file '${modelPath}' does not exist`);
  }
  throwIfAborted(options.signal);
  const llama = await getCpuLlama();
  let model: LlamaModel;
  try {
    model = await llama.loadModel({ modelPath, useMmap: true, ...(options.signal ? { loadSignal: options.signal } : {}) });
  } catch (error) {
    throwIfAborted(options.signal);
    throw new EmbeddedEngineError(`cannot load '${modelPath}': ${(error as Error).message}`, error);
  }
  const threads = options.threads ?? defaultThreads();
  const kv = options.kvCacheType ?? 'F16';
  try {
    const context = await model.createContext({
      sequences: options.sequences ?? 4,
      contextSize: Math.min(options.contextSize ?? 4096, model.trainContextSize),
      threads: { ideal: threads, min: threads },
      experimentalKvCacheKeyType: kv,
      experimentalKvCacheValueType: kv,
      flashAttention: options.flashAttention ?? (kv === 'F32' ? false : 'auto'),
      failedCreationRemedy: false,
      ...(options.signal ? { createSignal: options.signal } : {}),
    });
    return { model, context, modelPath, threads };
  } catch (error) {
    await model.dispose();
    throwIfAborted(options.signal);
    throw new EmbeddedEngineError(`cannot create a llama.cpp context for '${modelPath}': ${(error as Error).message}`, error);
  }
}

export async function disposeLlama(loaded: LoadedLlama): Promise<void> {
  await loaded.context.dispose();
  await loaded.model.dispose();
}
