/**
 * An engine named by one string, as a run configuration or the CLI names it:
 *   - `http://host:port`: an SGLang server (or router) already running; probed once, so an
 *     unreachable engine is one clear error instead of N failed samples;
 *   - `scripted:<file.json>`: a scripted policy on an in-process scripted SGLang server;
 *   - `embedded:<model.gguf>`: the embedded llama.cpp engine, served in-process.
 * Either way the caller gets an `SglangClient` to it, and `close` stops whatever was started.
 */
import type { Tokenizer } from '../chat/tokenizer.ts';
import { InvalidInputError } from '../protocol/errors.ts';
import { checkTokenizerFits } from './tokenizer-fit.ts';
import type { EmbeddedServerOptions } from './embedded/server.ts';
import { loadScript, startScriptedServer } from './scripted/server.ts';
import { SglangClient, type SglangClientOptions } from './client/sglang-client.ts';

export interface OpenEngineOptions {
  /**
   * The run's tokenizer: `scripted:` renders its replies with it; the others check at start that
   * it fits the model's vocabulary (when `/model_info` reports one) and fail with one line if not.
   */
  tokenizer?: Tokenizer;
  /** `scripted:` only: delay before each request's first token. */
  latencyMs?: number;
  /** `embedded:` only: llama.cpp settings (sequences, context size, threads, KV-cache type). */
  embedded?: Omit<EmbeddedServerOptions, 'modelPath'>;
  /** Options of the client (connections, retries, timeouts). */
  client?: SglangClientOptions;
  signal?: AbortSignal;
}

export interface OpenedEngine extends AsyncDisposable {
  client: SglangClient;
  url: string;
  /** In words, for logs: `scripted policy at http://...`. */
  description: string;
  close(): Promise<void>;
}

function opened(client: SglangClient, description: string, stop: () => Promise<void> = async () => undefined): OpenedEngine {
  const close = async (): Promise<void> => {
    await client.close();
    await stop();
  };
  return { client, url: client.baseUrl, description, close, [Symbol.asyncDispose]: close };
}

export async function openEngine(spec: string, options: OpenEngineOptions = {}): Promise<OpenedEngine> {
  const signal = options.signal ? { signal: options.signal } : {};
  if (spec.startsWith('scripted:')) {
    if (!options.tokenizer) throw new InvalidInputError(`engine '${spec}': a scripted engine needs the tokenizer`);
    const script = await loadScript(spec.slice('scripted:'.length));
    const server = await startScriptedServer({ script, tokenizer: options.tokenizer, ...(options.latencyMs ? { latencyMs: options.latencyMs } : {}) });
    return opened(new SglangClient(server.url, options.client), `scripted policy at ${server.url}`, () => server.close());
  }
  if (spec.startsWith('embedded:')) {
    // node-llama-cpp is loaded only when an embedded engine is asked for.
    const { startEmbeddedServer } = await import('./embedded/server.ts');
    const server = await startEmbeddedServer({ ...options.embedded, modelPath: spec.slice('embedded:'.length) }, signal);
    const engine = opened(new SglangClient(server.url, options.client), `embedded llama.cpp engine at ${server.url}`, () => server.close());
    try {
      if (options.tokenizer) checkTokenizerFits(options.tokenizer, await engine.client.modelInfo(signal), `engine '${spec}'`);
    } catch (error) {
      await engine.close();
      throw error;
    }
    return engine;
  }
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw new InvalidInputError(`--engine '${spec}' is neither a URL nor 'scripted:<file>' nor 'embedded:<model.gguf>'`);
  }
  const probe = new SglangClient(url.href, { retries: 0, timeoutMs: 10_000 });
  try {
    const info = await probe.modelInfo(signal);
    if (options.tokenizer) checkTokenizerFits(options.tokenizer, info, `engine ${url.href}`);
  } finally {
    await probe.close();
  }
  return opened(new SglangClient(url.href, options.client), url.href);
}
