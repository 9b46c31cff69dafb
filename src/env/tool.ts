/**
 * Tools, declared like the Vercel AI SDK: `tool({ description, inputSchema, execute })` in a
 * record keyed by name. `tool()` is an identity function: it exists so the zod schema drives the
 * type of `input` in `execute`.
 */
import type { ToolSpec } from '../chat/messages.ts';
import { z } from 'zod';
import { freezeDeep } from '../chat/deep-freeze.ts';

/** A metric emitter: numbers summed per episode into the sample's `metadata.metrics`. */
export type EmitMetric = (name: string, value: number) => void;

/**
 * What a tool gets besides its input. Its types come from the env: write tools with the env's
 * `this.defineTool(...)` and `task`, `state` and `sandbox` are the env's own. A tool written
 * outside an env annotates what it needs instead, e.g. `ctx: ToolContext<unknown, unknown, Sandbox>`.
 */
export interface ToolContext<TTask = unknown, TState = unknown, TSandbox = unknown> {
  /** The episode's task row, as the env's taskSchema parsed it. */
  readonly task: TTask;
  /** Mutable per-episode state shared by the env, its tools and its rubric. */
  state: TState;
  /** Present when the env declares a sandbox spec. */
  sandbox: TSandbox | undefined;
  /** Fires when the episode is aborted or the tool's timeout passes. */
  signal: AbortSignal;
  /** Zero-based index of the model turn that produced this call. */
  turn: number;
  /** The id of this tool call (as the model or the parser gave it). */
  toolCallId: string;
  emit: EmitMetric;
}

/** A tool's output as shown to the model. A string is shorthand for `{ output: string }`. */
export type ToolResult = string | { output: string; isError?: boolean; terminate?: boolean };

/** A tool of an env with task `TTask`, state `TState` and sandbox `TSandbox`; `input` is typed by `TSchema`. */
export interface Tool<TTask = any, TState = any, TSandbox = any, TSchema extends z.ZodType = z.ZodType> {
  description: string;
  inputSchema: TSchema;
  /** Per-call time limit; past it the call ends with a tool error (status tool_timeout if fatal). */
  timeoutMs?: number;
  execute(input: z.infer<TSchema>, ctx: ToolContext<TTask, TState, TSandbox>): Promise<ToolResult> | ToolResult;
}

export type ToolSet = Record<string, Tool<any, any, any, any>>;

/**
 * A tool outside an env class (inside one, use `this.defineTool`, which types the context from
 * the env). `input` is typed by the schema; the context by what `execute` annotates.
 */
export function tool<TTask = unknown, TState = unknown, TSandbox = unknown, TSchema extends z.ZodType = z.ZodType>(
  definition: Tool<TTask, TState, TSandbox, TSchema>,
): Tool<TTask, TState, TSandbox, TSchema> {
  return definition;
}

// ToolSpec is a chat-layer record (templates render it); tools produce it.
export type { ToolSpec };

// JSON schemas are derived once per tool set: episodes of a run share their env's tools, and
// z.toJSONSchema is not free. The cached specs are deeply frozen, so they cannot be changed through
// anyone holding them, and renders can keep their `tojson` text (chat/deep-freeze.ts).
const specCache = new WeakMap<ToolSet, readonly ToolSpec[]>();

/** The tool specs of `tools`, shared and immutable: what each episode's ledger renders. */
export function frozenToolSpecs(tools: ToolSet): readonly ToolSpec[] {
  let specs = specCache.get(tools);
  const names = Object.keys(tools);
  if (!specs || specs.length !== names.length || specs.some((spec, i) => spec.function.name !== names[i])) {
    // A structured clone keeps the schema's own enumerable data and drops anything else zod
    // attaches, so the specs are plain data throughout and freeze whole.
    const fresh = structuredClone(
      Object.entries(tools).map(([name, t]): ToolSpec => {
        const parameters = z.toJSONSchema(t.inputSchema, { io: 'input' }) as Record<string, unknown>;
        delete parameters.$schema;
        return { type: 'function', function: { name, description: t.description, parameters } };
      }),
    );
    freezeDeep(fresh);
    specCache.set(tools, (specs = fresh));
  }
  return specs;
}

/** The tool specs of `tools`, as a copy of the caller's own. */
export function toolSpecs(tools: ToolSet): ToolSpec[] {
  return structuredClone(frozenToolSpecs(tools)) as ToolSpec[];
}
