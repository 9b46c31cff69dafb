/**
 * Multi-agent episodes: several named roles in one episode, each with its own conversation (and
 * token ledger) and its own samples (`Sample.agent`). The env says who moves next and routes each
 * reply into the other roles' views. A role may use another engine: a frozen opponent on another
 * SGLang URL (`GenerateEngine`) or an LLM judge over chat completions (`ChatClient`).
 *
 * Training roles: `trains` defaults to true. Roles with `trains: false` produce NO samples — the
 * buffer never has to filter them out; their turns still appear in the steps the rubric sees.
 *
 * A single-agent `Env` is the one-role case (role "policy"); `asAgents` adapts it, so one runner
 * drives both.
 */
import type { GenerateRequest, GenerateResponse, SamplingParams } from '../protocol/sglang-types.ts';
import { InvalidInputError } from '../protocol/errors.ts';
import { EnvBase, type Env } from './env.ts';
import type { Rubric } from './rubric.ts';
import type { ToolSet, ToolSpec } from './tool.ts';
import type { AssistantReply, EnvContext, Message, StepResult } from './types.ts';

/** Token-in/token-out engine: SGLang `/generate` (SglangClient, the embedded engine, a scripted server). */
export interface GenerateEngine {
  generate(request: GenerateRequest, options?: { signal?: AbortSignal }): Promise<GenerateResponse | GenerateResponse[]>;
}

/** Message-level engine for roles that never train (an OpenAI-compatible judge or opponent). */
export interface ChatClient {
  complete(request: { messages: Message[]; tools?: ToolSpec[]; sampling?: SamplingParams }, options?: { signal?: AbortSignal }): Promise<Message>;
}

export function isChatClient(engine: GenerateEngine | ChatClient): engine is ChatClient {
  return typeof (engine as ChatClient).complete === 'function';
}

export interface AgentRole {
  /** Whether this role's turns become training samples (default true). */
  trains?: boolean;
  /** Engine for this role; default: the episode's engine. Training roles need a `GenerateEngine`. */
  engine?: GenerateEngine | ChatClient;
  /** Overrides the episode's sampling params for this role. */
  sampling?: SamplingParams;
  /** Tools shown to this role (default none). */
  tools?: ToolSet;
}

export interface AgentsStepResult extends Omit<StepResult, 'messages'> {
  /** Messages to append, per role (e.g. the reply, relayed into the opponent's view as a user turn). */
  messages?: Record<string, Message[]>;
}

export abstract class MultiAgentEnv<TTask = any, TState extends object = Record<string, unknown>, TSandbox = unknown> extends EnvBase<
  TTask,
  TState,
  TSandbox
> {
  abstract readonly roles: Record<string, AgentRole>;
  /** Per-task sandbox preparation, as `Env.setupSandbox`; optional. */
  setupSandbox?(task: TTask, sandbox: TSandbox, signal: AbortSignal): Promise<void> | void;
  /** Scored once per training role; `ctx.role` says which. */
  abstract override readonly rubric: Rubric<TTask, TState, TSandbox>;

  /** Each role's opening messages; every role in `roles` needs an entry. */
  abstract reset(ctx: EnvContext<TTask, TState, TSandbox>): Record<string, Message[]> | Promise<Record<string, Message[]>>;

  /** The role that moves next, or undefined when the episode is over (terminated). */
  abstract nextRole(ctx: EnvContext<TTask, TState, TSandbox>): string | undefined;

  abstract step(role: string, reply: AssistantReply, ctx: EnvContext<TTask, TState, TSandbox>): AgentsStepResult | Promise<AgentsStepResult>;
}

export const POLICY_ROLE = 'policy';

/**
 * The env's roles with a run's overrides merged over them, field by field: how a run puts a role
 * on another engine (a frozen opponent) or stops training it without changing the env's code.
 */
export function withRoleOverrides(roles: Readonly<Record<string, AgentRole>>, overrides: Readonly<Record<string, AgentRole>> | undefined): Record<string, AgentRole> {
  if (!overrides) return { ...roles };
  checkRoleNames(roles, Object.keys(overrides));
  const merged: Record<string, AgentRole> = { ...roles };
  for (const [name, override] of Object.entries(overrides)) merged[name] = { ...roles[name], ...override };
  return merged;
}

/** Throws, naming the first of `names` that is not one of the env's roles. */
export function checkRoleNames(roles: Readonly<Record<string, AgentRole>>, names: readonly string[]): void {
  const unknown = names.find((name) => !Object.hasOwn(roles, name));
  if (unknown !== undefined) throw new InvalidInputError(`roles.${unknown}: the env has no role '${unknown}' (its roles: ${Object.keys(roles).join(', ')})`);
}

/** What the episode runner drives: a multi-agent env without its authoring helpers. */
export type AgentProgram<TTask = any, TState extends object = Record<string, unknown>, TSandbox = unknown> = Omit<
  MultiAgentEnv<TTask, TState, TSandbox>,
  'defineTool' | 'defineRubric'
>;

/** The one-role view of a single-agent env. */
export function asAgents<TTask, TState extends object>(env: Env<TTask, TState> | MultiAgentEnv<TTask, TState>): AgentProgram<TTask, TState> {
  if (env instanceof Object && 'roles' in env && 'nextRole' in env) return env as MultiAgentEnv<TTask, TState>;
  const single = env as Env<TTask, TState>;
  return {
    taskSchema: single.taskSchema,
    roles: { [POLICY_ROLE]: { trains: true, tools: single.tools } },
    rubric: single.rubric,
    stopWhen: single.stopWhen,
    maxTurns: single.maxTurns,
    sandbox: single.sandbox,
    createState: (task) => single.createState(task),
    sandboxFor: (task) => single.sandboxFor(task),
    ...(single.setupSandbox ? { setupSandbox: (task, sandbox, signal) => single.setupSandbox!(task, sandbox, signal) } : {}),
    setup: (signal) => single.setup(signal),
    close: () => single.close(),
    label: (task) => single.label(task),
    reset: async (ctx) => ({ [POLICY_ROLE]: await single.reset(ctx) }),
    nextRole: () => POLICY_ROLE,
    step: async (_role, reply, ctx) => {
      const result = await single.step(reply, ctx);
      return { ...result, messages: { [POLICY_ROLE]: result.messages ?? [] } };
    },
  };
}
