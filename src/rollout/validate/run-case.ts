/**
 * One validate case, run the way `physarum rollout` runs a task: a scripted SGLang server holding
 * the case's episodes, the real client over HTTP (through a fault proxy), `rolloutDataset` with
 * `envGroupGenerate` and the env run's sandboxes. An injected fault breaks the engine, or removes
 * the episode's sandbox, at a chosen `/generate` request.
 */
import type { Chat } from '../../chat/chat-template.ts';
import { SglangClient } from '../../engine/client/sglang-client.ts';
import { startScriptedServer } from '../../engine/scripted/server.ts';
import type { AnyEnv } from '../../env/load-env.ts';
import type { SandboxLease, SandboxLeases } from '../../env/sandbox-lease.ts';
import type { Sample } from '../../protocol/sample.ts';
import type { Sandbox } from '../../../sandboxes/index.ts';
import { envGroupGenerate } from '../env-group-generate.ts';
import { rolloutDataset } from '../rollout-dataset.ts';
import { startFaultProxy, type EngineFault } from './engine-faults.ts';
import type { ValidateCase } from './validate-spec.ts';

export type InjectedFault = EngineFault | { kind: 'sandbox_removed'; atRequest: number };

export interface CaseRunOptions {
  env: AnyEnv;
  chat: Chat;
  /** The env run's sandbox leases, for envs that use sandboxes. */
  sandboxes?: SandboxLeases | undefined;
  fault?: InjectedFault;
  signal?: AbortSignal;
}

export interface CaseRun {
  samples: Sample[];
  /** Wall time of the episode, engine start excluded. */
  seconds: number;
  /** `/generate` requests the episode made (its turns, over all roles). */
  generateRequests: number;
}

// Scripted replies are short; the limit only has to leave them whole.
const SAMPLING = { temperature: 1, max_new_tokens: 4096 };

/** Leases that remember the episode's sandbox so a fault can remove it under the episode. */
function removableLeases(leases: SandboxLeases): { leases: SandboxLeases; remove(): Promise<void> } {
  let current: SandboxLease | undefined;
  return {
    leases: {
      lease: async (signal, task) => (current = await leases.lease(signal, task)),
    },
    // As an operator or a reaper would: the container is removed; calls in flight fail as infrastructure.
    remove: async () => {
      const sandbox = current?.sandbox as Sandbox | undefined;
      await sandbox?.destroy();
    },
  };
}

export async function runCase(item: ValidateCase, options: CaseRunOptions): Promise<CaseRun> {
  const { env, chat } = options;
  const fault = options.fault ?? { kind: 'none' };
  const removable = options.sandboxes && fault.kind === 'sandbox_removed' ? removableLeases(options.sandboxes) : undefined;
  const server = await startScriptedServer({ script: { episodes: item.episodes }, tokenizer: chat.tokenizer });
  const proxy = await startFaultProxy({
    target: server.url,
    fault: fault.kind === 'sandbox_removed' ? { kind: 'none' } : fault,
    ...(removable && fault.kind === 'sandbox_removed' ? { beforeRequest: async (n: number) => (n === fault.atRequest ? removable.remove() : undefined) } : {}),
  });
  // One retry with a short backoff: a dead engine is found fast, and the retry path is still taken.
  const client = new SglangClient(proxy.url, { retries: 1, retryBaseDelayMs: 20, retryMaxDelayMs: 100 });
  const samples: Sample[] = [];
  try {
    const started = performance.now();
    const sandboxes = removable?.leases ?? options.sandboxes;
    await rolloutDataset({
      records: [{ id: item.name, task: item.task, metadata: {} }],
      nSamples: 1,
      onGroup: (group) => void samples.push(...group.samples),
      ...(options.signal ? { signal: options.signal } : {}),
      ...envGroupGenerate({ env, engine: client, chat, sampling: SAMPLING, ...(sandboxes ? { sandboxes } : {}) }),
    });
    return { samples, seconds: (performance.now() - started) / 1000, generateRequests: proxy.generateRequests };
  } finally {
    await client.close();
    await proxy.close();
    await server.close();
  }
}
