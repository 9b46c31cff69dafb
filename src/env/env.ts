/**
 * Env base classes. The contract is Gymnasium-sized: `reset` gives the opening messages of a task,
 * `step` answers one model reply and says whether the episode is `terminated` (the task reached
 * its end) or `truncated` (cut short). Policy such as turn limits lives in `stopWhen`, composed from
 * stop predicates; the episode runner owns tokens, engines and samples.
 */
import type { z } from 'zod';
import { executeToolCalls } from './execute-tools.ts';
import { rubric, type Rubric, type RubricDefinition } from './rubric.ts';
import type { StopCondition } from './stop.ts';
import type { Tool, ToolSet } from './tool.ts';
import type { AssistantReply, EnvContext, Message, StepResult } from './types.ts';

/**
 * What single- and multi-agent envs share: task schema, rubric, limits, sandbox, state, label.
 * Every env class takes the same type parameters in the same order: task, state, sandbox.
 */
export abstract class EnvBase<TTask = any, TState extends object = Record<string, unknown>, TSandbox = unknown> {
  /** Validates each task row; errors name the row and field. */
  abstract readonly taskSchema: z.ZodType<TTask>;
  abstract readonly rubric: Rubric<TTask, TState, TSandbox>;
  /** When to stop besides the env's own `terminated`/`truncated`. */
  readonly stopWhen: StopCondition<TState> | undefined = undefined;
  /** Turn limit (truncation; all roles together); the runner composes it with `stopWhen`. `--max-turns` can lower it per run. */
  readonly maxTurns: number | undefined = undefined;
  /** A sandbox spec (see sandboxes/); the caller acquires one and passes it to every hook. */
  readonly sandbox: unknown = undefined;

  /** The episode's initial state; it must stay JSON-serializable (snapshots carry it). */
  createState(_task: TTask): TState {
    return {} as TState;
  }

  /** What goes into `Sample.label` (e.g. the reference answer). */
  label(_task: TTask): unknown {
    return undefined;
  }

  /**
   * A tool of this env: `input` typed by its schema, and `ctx.task`, `ctx.state` and
   * `ctx.sandbox` by the env's own types, so its body needs no casts:
   * `readonly tools = { add: this.defineTool({ description, inputSchema, execute: (input, { state }) => ... }) }`.
   */
  defineTool<TSchema extends z.ZodType>(definition: Tool<TTask, TState, TSandbox, TSchema>): Tool<TTask, TState, TSandbox, TSchema> {
    return definition;
  }

  /** The env's rubric, with `task`, `state` and `sandbox` of every reward function typed from the env. */
  defineRubric(definition: RubricDefinition<TTask, TState, TSandbox>): Rubric<TTask, TState, TSandbox> {
    return rubric(definition);
  }

  /**
   * The sandbox spec of one task (default: `sandbox`): a task that needs its own image or setup
   * commands returns them here. Equal specs share warm sandboxes, and setup commands are cached
   * as an image per (image, setup), so tasks that share a repository build it once.
   */
  sandboxFor(_task: TTask): unknown {
    return this.sandbox;
  }

  /**
   * Run-level setup, called once per run before the first episode (open a corpus index, start a
   * service). The rollout loop calls it through `openEnvRun`; `close` undoes it.
   */
  async setup(_signal: AbortSignal): Promise<void> {}

  /** Releases what `setup` took (Gymnasium's `close`); called once when the run ends, failed or not. */
  async close(): Promise<void> {}
}

export abstract class Env<TTask = any, TState extends object = Record<string, unknown>, TSandbox = unknown> extends EnvBase<TTask, TState, TSandbox> {
  /** Tools shown to the model through the chat template. */
  readonly tools: ToolSet = {};
  /**
   * Prepares a task's sandbox in place (write the repository, the tests): run once per group on
   * one sandbox, which the group's episodes then start from as forks (sandboxes/fork.ts), so all G
   * begin in one state. Optional; files only (forks copy files, not processes).
   */
  setupSandbox?(task: TTask, sandbox: TSandbox, signal: AbortSignal): Promise<void> | void;

  /** The opening messages (system/user) of an episode. */
  abstract reset(ctx: EnvContext<TTask, TState, TSandbox>): Message[] | Promise<Message[]>;

  abstract step(reply: AssistantReply, ctx: EnvContext<TTask, TState, TSandbox>): StepResult | Promise<StepResult>;
}

/** One prompt, one reply, then the rubric. */
export abstract class SingleTurnEnv<TTask = any, TState extends object = Record<string, unknown>, TSandbox = unknown> extends Env<TTask, TState, TSandbox> {
  abstract prompt(task: TTask): Message[];

  reset(ctx: EnvContext<TTask, TState, TSandbox>): Message[] {
    return this.prompt(ctx.task);
  }

  step(): StepResult {
    return { terminated: true };
  }
}

/** Several turns: the env answers each reply (a user simulator, a game) until it is done or `maxTurns` is hit. */
export abstract class MultiTurnEnv<TTask = any, TState extends object = Record<string, unknown>, TSandbox = unknown> extends Env<
  TTask,
  TState,
  TSandbox
> {
  override readonly maxTurns: number = 8;
}

/**
 * Tool use: each reply's tool calls run and their results go back as tool messages. A reply
 * without tool calls ends the episode (`terminated`), as does a tool returning `terminate: true`.
 */
export abstract class ToolEnv<TTask = any, TState extends object = Record<string, unknown>, TSandbox = unknown> extends MultiTurnEnv<
  TTask,
  TState,
  TSandbox
> {
  abstract override readonly tools: ToolSet;

  async step(reply: AssistantReply, ctx: EnvContext<TTask, TState, TSandbox>): Promise<StepResult> {
    const calls = reply.message.toolCalls ?? [];
    if (calls.length === 0 && reply.parseErrors.length === 0) return { terminated: true, reason: 'replied without a tool call' };
    const { messages, terminate } = await executeToolCalls(this.tools, reply, ctx);
    return { messages, terminated: terminate, reason: terminate ? 'a tool ended the episode' : undefined };
  }
}
