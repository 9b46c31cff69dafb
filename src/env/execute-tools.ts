/**
 * Runs the tool calls of one reply. Tool failures are observations: an unknown tool, input that
 * fails the schema, a malformed call or a tool that throws becomes a tool message the model can
 * read (and a `tool_errors` metric). Only three things end the episode instead: the episode's
 * abort, a tool timeout (`ToolTimeoutError`) and failures whose status is `sandbox_error` or `aborted`.
 */
import { AbortedError, throwIfAborted } from '../protocol/errors.ts';
import { isAgentCaused, statusForError } from '../protocol/failure-status.ts';
import { ToolTimeoutError } from './errors.ts';
import { spanRecorderOf } from './episode-trace.ts';
import type { ToolContext, ToolResult, ToolSet } from './tool.ts';
import type { AssistantReply, Message } from './types.ts';

export interface ToolRunResult {
  messages: Message[];
  /** A tool asked to end the episode (e.g. submit). */
  terminate: boolean;
}

type BaseContext = Omit<ToolContext<any, any, any>, 'toolCallId' | 'signal'> & { signal: AbortSignal };

function toolMessage(toolCallId: string, name: string, content: string): Message {
  return { role: 'tool', content, toolCallId, name };
}

// A failure of the sandbox ends the episode, whoever caused it: an infrastructure failure is
// `sandbox_error`, one the agent caused (OOM, disk, killed helper) keeps its penalty as `truncated`.
function isFatal(error: unknown): boolean {
  const status = statusForError(error);
  return status === 'sandbox_error' || status === 'aborted' || isAgentCaused(error);
}

/** Runs `execute` under the tool's timeout; rejects with ToolTimeoutError even if the tool ignores its signal. */
async function runWithTimeout(
  name: string,
  timeoutMs: number | undefined,
  episodeSignal: AbortSignal,
  run: (signal: AbortSignal) => Promise<ToolResult> | ToolResult,
): Promise<ToolResult> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    onAbort = () => {
      controller.abort(episodeSignal.reason);
      reject(new AbortedError('tool call aborted with the episode', { cause: episodeSignal.reason }));
    };
    episodeSignal.addEventListener('abort', onAbort, { once: true });
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        const error = new ToolTimeoutError(name, timeoutMs);
        controller.abort(error);
        reject(error);
      }, timeoutMs);
    }
  });
  stopped.catch(() => undefined);
  try {
    return await Promise.race([Promise.resolve().then(() => run(controller.signal)), stopped]);
  } finally {
    if (timer) clearTimeout(timer);
    if (onAbort) episodeSignal.removeEventListener('abort', onAbort);
  }
}

export async function executeToolCalls(tools: ToolSet, reply: AssistantReply, ctx: BaseContext): Promise<ToolRunResult> {
  const messages: Message[] = [];
  let terminate = false;
  const fail = (id: string, name: string, text: string): void => {
    ctx.emit('tool_errors', 1);
    messages.push(toolMessage(id, name, `Error: ${text}`));
  };
  for (const issue of reply.parseErrors) fail(issue.toolCallId ?? `invalid-${messages.length}`, 'invalid_tool_call', `malformed tool call (${issue.kind}): ${issue.message}`);
  const recorder = spanRecorderOf(ctx);
  for (const call of reply.message.toolCalls ?? []) {
    throwIfAborted(ctx.signal);
    const definition = tools[call.name];
    if (!definition) {
      fail(call.id, call.name, `unknown tool '${call.name}'; available: ${Object.keys(tools).join(', ') || '(none)'}`);
      continue;
    }
    const parsed = definition.inputSchema.safeParse(call.arguments);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i: { path: PropertyKey[]; message: string }) => `${i.path.map(String).join('.') || '(input)'}: ${i.message}`).join('; ');
      fail(call.id, call.name, `invalid arguments for '${call.name}': ${detail}`);
      continue;
    }
    ctx.emit('tool_calls', 1);
    let result: ToolResult;
    try {
      const run = (): Promise<ToolResult> => runWithTimeout(call.name, definition.timeoutMs, ctx.signal, (signal) =>
        definition.execute(parsed.data, { ...ctx, signal, toolCallId: call.id }),
      );
      result = recorder ? await recorder.time(`tool ${call.name}`, 'tool', run, { id: call.id, turn: ctx.turn }) : await run();
    } catch (error) {
      if (error instanceof ToolTimeoutError || isFatal(error)) throw error;
      fail(call.id, call.name, `tool '${call.name}' failed: ${(error as Error)?.message ?? String(error)}`);
      continue;
    }
    const normalized = typeof result === 'string' ? { output: result } : result;
    if (normalized.isError) ctx.emit('tool_errors', 1);
    messages.push(toolMessage(call.id, call.name, normalized.output));
    if (normalized.terminate) terminate = true;
  }
  return { messages, terminate };
}
