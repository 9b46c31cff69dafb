/**
 * A conformance check for env authors (Gymnasium's check_env): runs the parts of the contract that
 * need no engine — task schema, state, reset, tool schemas, rubric — on one task and names the
 * first thing that breaks. Use it in an env's own tests: `await checkEnv(new MyEnv(), row)`.
 * An env with sandboxes gets a real one for the task (its spec, its `setupSandbox`), leased from
 * `options.sandboxes` or a Docker pool of its own; without Docker it says so in one line.
 */
import { ChatMessageRecord } from '../protocol/sample.ts';
import { throwIfAborted } from '../protocol/errors.ts';
import { asAgents, type AgentProgram, type MultiAgentEnv } from '../env/agents.ts';
import type { Env } from '../env/env.ts';
import { EnvError } from '../env/errors.ts';
import { parseTask } from '../env/task.ts';
import { toolSpecs } from '../env/tool.ts';
import type { AnyEnv } from '../env/load-env.ts';
import { usesSandboxes, type SandboxLease, type SandboxLeases } from '../env/sandbox-lease.ts';
import { envSandboxes } from './env-sandboxes.ts';

export interface CheckEnvOptions {
  signal?: AbortSignal;
  /** Where a sandbox env's sandbox comes from (default: a Docker pool made for the check); `false` checks without one. */
  sandboxes?: SandboxLeases | false;
}

/** A sandbox for one task, leased as a rollout leases it (envSandboxes), from a pool made for the check. */
async function leaseForCheck(env: AnyEnv, task: unknown, signal: AbortSignal): Promise<SandboxLease> {
  const sandboxes = (await envSandboxes(env, { reapIntervalMs: 0 }))!;
  try {
    const lease = await sandboxes.lease(signal, task);
    return { ...lease, release: async () => (await lease.release(), await sandboxes.close()) };
  } catch (error) {
    await sandboxes.close();
    throw error;
  }
}

/** Plain JSON data: what survives JSON.stringify unchanged (no Map, Date, class instance, NaN, cycle). */
function jsonRoundTrips(value: unknown, seen = new Set<unknown>()): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean' || value === undefined) return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object' || seen.has(value)) return false;
  seen.add(value);
  const proto = Object.getPrototypeOf(value);
  const ok = Array.isArray(value)
    ? value.every((item) => item !== undefined && jsonRoundTrips(item, seen))
    : (proto === Object.prototype || proto === null) && Object.values(value).every((item) => jsonRoundTrips(item, seen));
  seen.delete(value);
  return ok;
}

export async function checkEnv(env: Env<any, any, any> | MultiAgentEnv<any, any, any>, task: unknown, options: CheckEnvOptions = {}): Promise<void> {
  const signal = options.signal ?? new AbortController().signal;
  const program = asAgents(env);
  const fail = (message: string): never => {
    throw new EnvError(`checkEnv: ${message}`);
  };
  const parsed = parseTask(program.taskSchema, task);
  const roles = Object.keys(program.roles);
  if (roles.length === 0) fail('the env has no roles');
  if (program.rubric.functions.length + program.rubric.groupFunctions.length === 0) fail('the rubric has no reward functions');
  if (program.maxTurns !== undefined && (!Number.isInteger(program.maxTurns) || program.maxTurns < 1))
    fail(`maxTurns must be a positive integer, got ${program.maxTurns}`);
  for (const [role, spec] of Object.entries(program.roles)) {
    try {
      toolSpecs(spec.tools ?? {});
    } catch (error) {
      fail(`role '${role}': a tool's inputSchema has no JSON schema: ${(error as Error).message}`);
    }
  }
  const state = program.createState(parsed);
  if (!jsonRoundTrips(state)) fail('createState must return JSON-serializable state (abort snapshots carry it)');
  if (!jsonRoundTrips(program.label(parsed))) fail('label(task) must be JSON-serializable (it is stored in Sample.label)');
  throwIfAborted(signal);
  let lease: SandboxLease | undefined;
  if (usesSandboxes(env) && options.sandboxes !== false) {
    try {
      lease = options.sandboxes ? await options.sandboxes.lease(signal, parsed) : await leaseForCheck(env, parsed, signal);
    } catch (error) {
      const reason = (error as { reason?: string }).reason;
      if (reason === 'docker_unavailable') fail(`the env needs a sandbox and Docker is not reachable (${(error as Error).message}); pass { sandboxes: false } to check without one`);
      fail(`the env's sandbox for this task could not be made: ${(error as Error).message}`);
    }
  }
  try {
    await checkOpening(program, parsed, state, lease?.sandbox, signal, roles, fail);
  } finally {
    await lease?.release();
  }
}

async function checkOpening(
  program: AgentProgram<any, any>, parsed: unknown, state: object, sandbox: unknown, signal: AbortSignal, roles: string[], fail: (message: string) => never,
): Promise<void> {
  const opening = await program.reset({ task: parsed, state, sandbox, signal, turn: 0, steps: [], emit: () => undefined });
  for (const role of roles) {
    const messages = opening[role];
    if (!Array.isArray(messages) || messages.length === 0) fail(`reset returned no opening messages for role '${role}'`);
    messages!.forEach((message, i) => {
      const check = ChatMessageRecord.safeParse(message);
      if (!check.success) fail(`reset: message ${i} of role '${role}' is not a chat message (${check.error.issues[0]!.path.join('.')}: ${check.error.issues[0]!.message})`);
    });
  }
  if (!jsonRoundTrips(state)) fail('reset left the state not JSON-serializable');
}
