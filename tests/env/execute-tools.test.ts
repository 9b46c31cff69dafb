import { describe, expect, it } from 'vitest';
import { SandboxError } from '../../sandboxes/errors.ts';
import { z } from 'zod';
import { executeToolCalls } from '../../src/env/execute-tools.ts';
import { ToolTimeoutError } from '../../src/env/errors.ts';
import { tool } from '../../src/env/tool.ts';
import type { AssistantReply } from '../../src/env/types.ts';

const tools = {
  add: tool({ description: 'add', inputSchema: z.object({ a: z.number(), b: z.number() }), execute: ({ a, b }) => String(a + b) }),
  submit: tool({ description: 'submit', inputSchema: z.object({ answer: z.string() }), execute: ({ answer }) => ({ output: `got ${answer}`, terminate: true }) }),
  boom: tool({ description: 'throws', inputSchema: z.object({}), execute: () => { throw new Error('kaput'); } }),
  slow: tool({ description: 'ignores its signal', inputSchema: z.object({}), timeoutMs: 30, execute: () => new Promise<string>(() => undefined) }),
  sandboxDown: tool({ description: 'sandbox fails', inputSchema: z.object({}), execute: () => { throw new SandboxError('sandbox_died', 'container died'); } }),
};

function reply(calls: Array<[string, unknown]>, parseErrors: AssistantReply['parseErrors'] = []): AssistantReply {
  return {
    message: { role: 'assistant', content: '', toolCalls: calls.map(([name, args], i) => ({ id: `call_${i}`, name, arguments: args as Record<string, unknown> })) },
    parseErrors,
    finishReason: 'stop',
  };
}

function context() {
  const metrics: Record<string, number> = {};
  return {
    metrics,
    ctx: { task: {}, sandbox: undefined, state: {}, signal: new AbortController().signal, turn: 0, emit: (n: string, v: number) => (metrics[n] = (metrics[n] ?? 0) + v) },
  };
}

describe('executeToolCalls', () => {
  it('runs calls in order and answers each with a tool message carrying its id', async () => {
    const { ctx, metrics } = context();
    const out = await executeToolCalls(tools, reply([['add', { a: 2, b: 3 }], ['submit', { answer: '5' }]]), ctx);
    expect(out.messages).toEqual([
      { role: 'tool', content: '5', toolCallId: 'call_0', name: 'add' },
      { role: 'tool', content: 'got 5', toolCallId: 'call_1', name: 'submit' },
    ]);
    expect(out.terminate).toBe(true);
    expect(metrics).toEqual({ tool_calls: 2 });
  });

  it('turns unknown tools, bad arguments, throwing tools and parse errors into tool errors', async () => {
    const { ctx, metrics } = context();
    const out = await executeToolCalls(
      tools,
      reply([['nope', {}], ['add', { a: 'x', b: 1 }], ['boom', {}]], [{ kind: 'invalid_json', message: 'Unexpected token', toolCallId: 'bad_0' }]),
      ctx,
    );
    expect(out.messages.map((m) => m.content)).toEqual([
      'Error: malformed tool call (invalid_json): Unexpected token',
      "Error: unknown tool 'nope'; available: add, submit, boom, slow, sandboxDown",
      "Error: invalid arguments for 'add': a: Invalid input: expected number, received string",
      "Error: tool 'boom' failed: kaput",
    ]);
    expect(out.messages[0]!.toolCallId).toBe('bad_0');
    expect(out.terminate).toBe(false);
    expect(metrics).toEqual({ tool_errors: 4, tool_calls: 1 });
  });

  it('a tool past its timeout is fatal (ToolTimeoutError), even if it ignores its signal', async () => {
    const { ctx } = context();
    const error = await executeToolCalls(tools, reply([['slow', {}]]), ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolTimeoutError);
    expect((error as ToolTimeoutError).message).toBe("tool 'slow' ran past its timeoutMs (30 ms); raise it in the tool definition");
  });

  it('sandbox failures propagate instead of becoming observations', async () => {
    const { ctx } = context();
    await expect(executeToolCalls(tools, reply([['sandboxDown', {}]]), ctx)).rejects.toMatchObject({ code: 'PHYSARUM_SANDBOX' });
  });

  it('the episode abort rejects a running tool with PHYSARUM_ABORTED', async () => {
    const { ctx } = context();
    const controller = new AbortController();
    const hang = { wait: tool({ description: 'w', inputSchema: z.object({}), execute: () => new Promise<string>(() => undefined) }) };
    const pending = executeToolCalls(hang, reply([['wait', {}]]), { ...ctx, signal: controller.signal });
    controller.abort(new Error('stop now'));
    await expect(pending).rejects.toMatchObject({ code: 'PHYSARUM_ABORTED' });
  });
});
