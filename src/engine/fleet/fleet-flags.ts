/**
 * Command-line flags → FleetOptions, so every command that needs engines reads them the same way:
 *   spawned:  --model-path M [--engines N] [--python P] [--host H] [--base-port N]
 *             [--router-port N] [--no-router] [--sglang-<flag> ...] [--router-<flag> ...]
 *   external: --engine-urls URL[,URL...] [--router-url URL]
 * `--router-url` and `--router-port` are the fleet's own; every other `--router-*` passes through.
 */
import { InvalidInputError } from '../../protocol/errors.ts';
import { flagValue, planFleet, splitPassThroughFlags } from './fleet-plan.ts';
import type { FleetOptions } from './fleet.ts';

export interface FleetFlags {
  options: FleetOptions;
  /** The argv words that were not fleet flags, in order (for the calling command to parse). */
  rest: string[];
}

const OWN_ROUTER_FLAGS = ['--url', '--port'];

function take(args: string[], name: string, withValue: boolean): string | true | undefined {
  const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i === -1) return undefined;
  const word = args[i]!;
  if (!withValue) {
    args.splice(i, 1);
    return true;
  }
  if (word.includes('=')) {
    args.splice(i, 1);
    return word.slice(name.length + 1);
  }
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) throw new InvalidInputError(`${name} needs a value`);
  args.splice(i, 2);
  return value;
}

function port(raw: string | true | undefined, flag: string): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new InvalidInputError(`${flag} must be a TCP port (1-65535), got '${String(raw)}'`);
  return value;
}

export function fleetOptionsFromFlags(argv: readonly string[]): FleetFlags {
  const split = splitPassThroughFlags(argv);
  // --router-url/--router-port configure the fleet, they are not router flags.
  const routerUrl = flagValue(split.router, '--url');
  const routerPort = port(flagValue(split.router, '--port'), '--router-port');
  const routerArgs = split.router.filter((word, i, all) => {
    const own = (w: string | undefined) => !!w && OWN_ROUTER_FLAGS.some((f) => w === f || w.startsWith(`${f}=`));
    return !own(word) && !(own(all[i - 1]) && !all[i - 1]!.includes('=') && !word.startsWith('--'));
  });
  const rest = [...split.rest];
  const engineUrls = take(rest, '--engine-urls', true);
  const modelPath = take(rest, '--model-path', true);
  const engines = take(rest, '--engines', true);
  const python = take(rest, '--python', true);
  const host = take(rest, '--host', true);
  const basePort = port(take(rest, '--base-port', true), '--base-port');
  const noRouter = take(rest, '--no-router', false);
  if (typeof engineUrls === 'string') {
    if (modelPath !== undefined || engines !== undefined)
      throw new InvalidInputError('--engine-urls watches running engines; it cannot be combined with --model-path/--engines');
    const urls = engineUrls.split(',').map((u) => u.trim()).filter(Boolean);
    for (const url of urls) if (!/^https?:\/\//.test(url)) throw new InvalidInputError(`--engine-urls: '${url}' is not an http(s) URL`);
    if (urls.length === 0) throw new InvalidInputError('--engine-urls needs at least one URL');
    return { options: { engineUrls: urls, ...(routerUrl ? { routerUrl } : {}) }, rest };
  }
  if (typeof modelPath !== 'string') throw new InvalidInputError('engines: give --model-path (to launch SGLang) or --engine-urls (to use running engines)');
  const count = engines === undefined ? 1 : Number(engines);
  if (!Number.isInteger(count) || count < 1) throw new InvalidInputError(`--engines must be a positive integer, got '${String(engines)}'`);
  const plan = planFleet({
    modelPath,
    engines: count,
    sglangArgs: split.sglang,
    routerArgs,
    ...(typeof python === 'string' ? { python } : {}),
    ...(typeof host === 'string' ? { host } : {}),
    ...(basePort !== undefined ? { basePort } : {}),
    ...(routerPort !== undefined ? { routerPort } : {}),
    ...(noRouter || routerUrl ? { router: false } : {}),
  });
  return { options: { plan, ...(routerUrl ? { routerUrl } : {}) }, rest };
}
