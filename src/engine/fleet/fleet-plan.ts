/**
 * The launch plan of an SGLang fleet: exact argv for N `python -m sglang.launch_server` engines
 * and one `python -m sglang_router.launch_router`. Like slime, we never restate upstream flags:
 * every `--sglang-<flag> [value]` passes through as `--<flag> [value]` to each engine and every
 * `--router-<flag> [value]` as `--<flag> [value]` to the router.
 */
import { InvalidInputError } from '../../protocol/errors.ts';

export interface PassThroughFlags {
  sglang: string[];
  router: string[];
  /** Everything that is neither, in order. */
  rest: string[];
}

/**
 * Split argv into SGLang, router and other flags. A prefixed flag takes the following words as its
 * values up to the next `--flag` (so `--router-worker-urls a b` and boolean flags both work);
 * `--sglang-x=v` keeps the `=v` form.
 */
export function splitPassThroughFlags(argv: readonly string[]): PassThroughFlags {
  const out: PassThroughFlags = { sglang: [], router: [], rest: [] };
  let target: string[] = out.rest;
  for (const word of argv) {
    const prefixed = /^--(sglang|router)-(.+)$/.exec(word);
    if (prefixed) {
      target = prefixed[1] === 'sglang' ? out.sglang : out.router;
      target.push(`--${prefixed[2]}`);
    } else if (word.startsWith('--')) {
      target = out.rest;
      target.push(word);
    } else {
      target.push(word);
    }
  }
  return out;
}

export interface FleetPlanOptions {
  modelPath: string;
  /** Number of engines (each one `sglang.launch_server`). */
  engines: number;
  /** Interpreter for both modules (default `python`). */
  python?: string;
  host?: string;
  /** Engine i listens on basePort + i (default 15000, slime's per-node start). */
  basePort?: number;
  /** Flags for every engine, already stripped of `--sglang-` (see splitPassThroughFlags). */
  sglangArgs?: readonly string[];
  /** Launch a router (default true when there is more than one engine). */
  router?: boolean;
  routerHost?: string;
  routerPort?: number;
  routerArgs?: readonly string[];
  /** GPUs per engine; engine i gets `--base-gpu-id i*gpusPerEngine` unless the flags set one. Default: tp × pp × dp from the flags. */
  gpusPerEngine?: number;
}

export interface LaunchCommand {
  role: 'engine' | 'router';
  index: number;
  command: string;
  args: string[];
  host: string;
  port: number;
  url: string;
}

export interface FleetPlan {
  engines: LaunchCommand[];
  router?: LaunchCommand;
}

/** The value of `--name v` or `--name=v` in argv (last one wins, as argparse does). */
export function flagValue(args: readonly string[], ...names: string[]): string | undefined {
  let value: string | undefined;
  args.forEach((word, i) => {
    for (const name of names) {
      if (word === name && args[i + 1] !== undefined && !args[i + 1]!.startsWith('--')) value = args[i + 1];
      else if (word.startsWith(`${name}=`)) value = word.slice(name.length + 1);
    }
  });
  return value;
}

const OWNED_ENGINE_FLAGS = ['--model-path', '--model', '--host', '--port'];

export function planFleet(options: FleetPlanOptions): FleetPlan {
  if (!options.modelPath) throw new InvalidInputError('fleet: --model-path is required');
  if (!Number.isInteger(options.engines) || options.engines < 1) throw new InvalidInputError(`fleet: engines must be a positive integer, got ${options.engines}`);
  const python = options.python ?? 'python';
  const host = options.host ?? '127.0.0.1';
  const basePort = options.basePort ?? 15000;
  const sglangArgs = [...(options.sglangArgs ?? [])];
  for (const owned of OWNED_ENGINE_FLAGS)
    if (flagValue(sglangArgs, owned) !== undefined)
      throw new InvalidInputError(`fleet: --sglang-${owned.slice(2)} is set by the fleet itself; use the fleet's own option instead`);
  const positiveInt = (name: string, ...aliases: string[]): number => {
    const raw = flagValue(sglangArgs, name, ...aliases);
    const value = raw === undefined ? 1 : Number(raw);
    if (!Number.isInteger(value) || value < 1) throw new InvalidInputError(`fleet: --sglang-${name.slice(2)} must be a positive integer, got '${raw}'`);
    return value;
  };
  const gpus = options.gpusPerEngine ?? positiveInt('--tp-size', '--tp') * positiveInt('--pp-size') * positiveInt('--dp-size', '--dp');
  const setsGpu = flagValue(sglangArgs, '--base-gpu-id') !== undefined;
  const engines: LaunchCommand[] = [];
  for (let i = 0; i < options.engines; i++) {
    const port = basePort + i;
    const args = ['-m', 'sglang.launch_server', '--model-path', options.modelPath, '--host', host, '--port', String(port)];
    if (!setsGpu && options.engines > 1) args.push('--base-gpu-id', String(i * gpus));
    args.push(...sglangArgs);
    engines.push({ role: 'engine', index: i, command: python, args, host, port, url: `http://${urlHost(host)}:${port}` });
  }
  const wantRouter = options.router ?? options.engines > 1;
  if (!wantRouter) return { engines };
  const routerHost = options.routerHost ?? host;
  const routerPort = options.routerPort ?? basePort + options.engines;
  const routerArgs = [...(options.routerArgs ?? [])];
  const args = ['-m', 'sglang_router.launch_router', '--worker-urls', ...engines.map((e) => e.url), '--host', routerHost, '--port', String(routerPort), ...routerArgs];
  return {
    engines,
    router: { role: 'router', index: 0, command: python, args, host: routerHost, port: routerPort, url: `http://${urlHost(routerHost)}:${routerPort}` },
  };
}

/** Engines bound to 0.0.0.0 are reached through loopback. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
