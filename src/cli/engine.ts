/**
 * `physarum engine serve --model <file.gguf> [--port N]`: the embedded llama.cpp engine behind
 * SGLang's HTTP protocol. Runs until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startEmbeddedServer } from '../engine/embedded/index.ts';
import { InvalidInputError } from '../protocol/errors.ts';
import type { Command } from './command.ts';

const USAGE = `usage: physarum engine serve --model <file.gguf> [options]

options:
  --model <file.gguf>     the GGUF to serve (required)
  --port <n>              port (default 30000; 0 picks a free one)
  --host <addr>           address to bind (default 127.0.0.1)
  --sequences <n>         parallel sequences in one context (default 4); more requests queue
  --context <n>           tokens per sequence (default 4096, capped at the model's)
  --threads <n>           CPU threads (default: cores - 1)
  --kv-cache <f16|f32>    KV-cache precision (default f16; f32 for exact log-prob parity)
  --weight-version <v>    initial weight_version (default "default")`;

function positiveInt(name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InvalidInputError(`--${name} must be an integer >= ${min}, got '${value}'`);
  return n;
}

export function parseServeArgs(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        model: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, sequences: { type: 'string' },
        context: { type: 'string' }, threads: { type: 'string' }, 'kv-cache': { type: 'string' }, 'weight-version': { type: 'string' },
      },
      strict: true,
    }).values;
  } catch (error) {
    throw new InvalidInputError(`${(error as Error).message}\n${USAGE}`);
  }
  if (!parsed.model) throw new InvalidInputError(`--model <file.gguf> is required\n${USAGE}`);
  const kv = (parsed['kv-cache'] ?? 'f16').toUpperCase();
  if (kv !== 'F16' && kv !== 'F32') throw new InvalidInputError(`--kv-cache must be f16 or f32, got '${parsed['kv-cache']}'`);
  return {
    modelPath: parsed.model,
    port: positiveInt('port', parsed.port, 30000, 0),
    host: parsed.host ?? '127.0.0.1',
    sequences: positiveInt('sequences', parsed.sequences, 4),
    contextSize: positiveInt('context', parsed.context, 4096, 16),
    ...(parsed.threads !== undefined ? { threads: positiveInt('threads', parsed.threads, 1) } : {}),
    kvCacheType: kv as 'F16' | 'F32',
    ...(parsed['weight-version'] !== undefined ? { weightVersion: parsed['weight-version'] } : {}),
  };
}

export const command: Command = {
  summary: 'serve a GGUF with the embedded llama.cpp engine (SGLang protocol)',
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === '--help' || sub === '-h' || sub === undefined) {
      console.log(USAGE);
      return sub === undefined ? 1 : 0;
    }
    if (sub === 'serve' && (rest.includes('--help') || rest.includes('-h'))) {
      console.log(USAGE);
      return 0;
    }
    if (sub !== 'serve') throw new InvalidInputError(`unknown engine subcommand '${sub}'\n${USAGE}`);
    const options = parseServeArgs(rest);
    const stop = new AbortController();
    const server = await startEmbeddedServer(options, { signal: stop.signal });
    console.log(`physarum engine: serving ${options.modelPath} at ${server.url} (${server.engine.sequences} sequences x ${server.engine.contextSize} tokens, ${server.engine.threads} threads)`);
    await new Promise<void>((resolve) => {
      const onSignal = (): void => resolve();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    });
    await server.close();
    return 0;
  },
};
