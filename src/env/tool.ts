/**
 * Tools, declared like the Vercel AI SDK: `tool({ description, inputSchema, execute })` in a
 * record keyed by name. `tool()` is an identity function: it exists so the zod schema drives the
 * type of `input` in `execute`.
 */
import type { ToolSpec } from '../chat/messages.ts';
import { z } from 'zod';
import { freezeDeep } from '../chat/deep-freeze.ts';

/** A metric emitter: numbers recorded on the sample's metadata and summed in run summaries. */
export type EmitMetric = (name: string, value: number) => void;

/**
 * What a tool gets besides its input. `sandbox` is present when the env declares one; its type
 * is the env's own (see sandboxes/), so tools that need one declare `ToolContext<Sandbox>`.
 */
export interface ToolContext<TSandbox = unknown, TState = Record<string, unknown>> {
  sandbox: TSandbox | undefined;
  /** Mutable per-episode state shared by the env, its tools and its rubric. */
  state: TState;
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

export interface Tool<TSchema extends z.ZodType = z.ZodType, TSandbox = unknown, TState = Record<string, unknown>> {
  description: string;
  inputSchema: TSchema;
  /** Per-call time limit; past it the call ends with a tool error (status tool_timeout if fatal). */
  timeoutMs?: number;
  execute(input: z.infer<TSchema>, ctx: ToolContext<TSandbox, TState>): Promise<ToolResult> | ToolResult;
}

export type ToolSet = Record<string, Tool<any, any, any>>;

export function tool<TSchema extends z.ZodType, TSandbox = unknown, TState = Record<string, unknown>>(
  definition: Tool<TSchema, TSandbox, TState>,
): Tool<TSchema, TSandbox, TState> {
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
