/**
 * The engines a recipe names, opened for a run: the embedded llama.cpp engine (started on the
 * worker's own exported weights), a scripted server, running SGLang engines, or an SGLang fleet
 * the driver launches. Each gives a generate client, the worker URLs that pause/abort/weight calls
 * go to, a WeightSync over them, and a close.
 */
import { loadScript, startScriptedServer } from '../engine/scripted/server.ts';
import { startEmbeddedServer } from '../engine/embedded/server.ts';
import { planFleet, type FleetPlan } from '../engine/fleet/fleet-plan.ts';
import { SglangFleet } from '../engine/fleet/fleet.ts';
import { SglangClient } from '../engine/client/sglang-client.ts';
import { WeightSync } from '../engine/fleet/weight-sync.ts';
import type { Tokenizer } from '../chat/tokenizer.ts';
import type { Recipe } from './recipe.ts';

export interface OpenEngines {
  /** Where `/generate` goes (the router when there is one). */
  client: SglangClient;
  /** Engine workers: pause, abort and weight calls go to each. */
  workerUrls: () => string[];
  weightSync: WeightSync;
  description: string;
  close(): Promise<void>;
}

/** gguf for the embedded engine, hf directories for SGLang (unless the recipe says otherwise). */
export function weightFormat(recipe: Recipe): 'gguf' | 'hf' {
  return recipe.train.weightFormat ?? (recipe.engine.kind === 'embedded' ? 'gguf' : 'hf');
}

/** The launch plan of a `fleet` engine config (also what `--dry-run` prints). */
export function fleetPlan(recipe: Recipe, modelPath: string): FleetPlan | undefined {
  const e = recipe.engine;
  if (e.kind !== 'fleet') return undefined;
  return planFleet({ modelPath, engines: e.engines, python: e.python, host: e.host, basePort: e.basePort, sglangArgs: e.sglangArgs, routerArgs: e.routerArgs });
}

export async function openEngines(
  recipe: Recipe,
  options: { modelPath: string; initialVersion: number; tokenizer: Tokenizer; signal?: AbortSignal },
): Promise<OpenEngines> {
  const e = recipe.engine;
  // One connection per episode the recipe lets have a model call in flight (rollout.concurrency).
  const clientOptions = { connections: recipe.rollout.concurrency };
  const sync = (engines: ConstructorParameters<typeof WeightSync>[0]['engines']): WeightSync =>
    new WeightSync({ engines, pauseMode: recipe.train.pauseMode, colocated: recipe.train.colocate });
  if (e.kind === 'embedded') {
    const server = await startEmbeddedServer({
      modelPath: options.modelPath, threads: e.threads, sequences: e.sequences, contextSize: e.contextSize,
      weightVersion: String(options.initialVersion),
    });
    const client = new SglangClient(server.url, clientOptions);
    return {
      client, workerUrls: () => [server.url], weightSync: sync([server.url]),
      description: `embedded llama.cpp engine at ${server.url} (${e.threads} thread${e.threads === 1 ? '' : 's'}, ${e.sequences} sequences)`,
      close: async () => (await client.close(), await server.close()),
    };
  }
  if (e.kind === 'scripted') {
    const server = await startScriptedServer({
      script: await loadScript(e.script), tokenizer: options.tokenizer, latencyMs: e.latencyMs, tokenLatencyMs: e.tokenLatencyMs,
      weightVersion: String(options.initialVersion),
    });
    const client = new SglangClient(server.url, clientOptions);
    return {
      client, workerUrls: () => [server.url], weightSync: sync([server.url]),
      description: `scripted server at ${server.url} (${e.latencyMs} ms per turn)`,
      close: async () => (await client.close(), await server.close()),
    };
  }
  const fleet = await SglangFleet.start(
    e.kind === 'external'
      ? { engineUrls: e.urls, ...(e.routerUrl ? { routerUrl: e.routerUrl } : {}) }
      : { plan: fleetPlan(recipe, options.modelPath)! },
    options.signal ? { signal: options.signal } : {},
  );
  const client = new SglangClient(fleet.generateUrl ?? fleet.urls[0]!, clientOptions);
  return {
    client, workerUrls: () => fleet.urls, weightSync: sync(fleet),
    description: `${fleet.urls.length} SGLang engine(s)${fleet.generateUrl ? ` behind ${fleet.generateUrl}` : ''}`,
    close: async () => (await client.close(), await fleet.stop()),
  };
}
