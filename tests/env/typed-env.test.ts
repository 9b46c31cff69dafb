// Writing an env without casts: tools and rubric made with `this.defineTool` / `this.defineRubric`
// get task, state and sandbox typed from the env class. The `expectTypeOf` lines are checked by
// `npx tsc -p .` (tests are in the project); the runtime part checks the tool really gets the task.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { MultiAgentEnv, ToolEnv, type EnvContext, type Message, type RewardContext, type ToolContext } from '../../src/index.ts';
import type { Sandbox } from '../../sandboxes/index.ts';
import { bash, submit } from '../../tools/index.ts';
import { CountdownEnv, type CountdownState, type CountdownTask } from '../../envs/countdown/index.ts';

type Task = { word: string };
interface State {
  seen: string[];
}
interface Box {
  name: string;
}

class EchoEnv extends ToolEnv<Task, State, Box> {
  readonly taskSchema = z.object({ word: z.string() });
  readonly tools = {
    echo: this.defineTool({
      description: 'Echo a text',
      inputSchema: z.object({ text: z.string() }),
      execute: (input, ctx) => {
        expectTypeOf(input).toEqualTypeOf<{ text: string }>();
        expectTypeOf(ctx).toEqualTypeOf<ToolContext<Task, State, Box>>();
        expectTypeOf(ctx.task).toEqualTypeOf<Task>();
        expectTypeOf(ctx.state).toEqualTypeOf<State>();
        expectTypeOf(ctx.sandbox).toEqualTypeOf<Box | undefined>();
        // @ts-expect-error the state has no such field: a typo is a type error, not a silent write
        ctx.state.seeen = [];
        ctx.state.seen.push(`${ctx.task.word}:${input.text}:${ctx.sandbox?.name ?? 'none'}`);
        return 'ok';
      },
    }),
  };
  readonly rubric = this.defineRubric({
    rewards: {
      echoed: (ctx) => {
        expectTypeOf(ctx).toEqualTypeOf<RewardContext<Task, State, Box>>();
        return ctx.state.seen.includes(ctx.task.word);
      },
    },
  });
  override createState(): State {
    return { seen: [] };
  }
  reset({ task }: EnvContext<Task, State, Box>): Message[] {
    return [{ role: 'user', content: `Say ${task.word}` }];
  }
}

class DuoEnv extends MultiAgentEnv<Task, State, Box> {
  readonly taskSchema = z.object({ word: z.string() });
  readonly roles = {
    a: {
      tools: {
        mark: this.defineTool({
          description: 'Mark',
          inputSchema: z.object({}),
          execute: (_input, ctx) => {
            expectTypeOf(ctx).toEqualTypeOf<ToolContext<Task, State, Box>>();
            return '';
          },
        }),
      },
    },
  };
  readonly rubric = this.defineRubric({ rewards: { none: ({ state }) => state.seen.length } });
  reset(): Record<string, Message[]> {
    return { a: [] };
  }
  nextRole(): string | undefined {
    return undefined;
  }
  step() {
    return {};
  }
}

describe('typed envs', () => {
  it('type the tool context, the reward context and the library tools without casts', () => {
    const countdown = new CountdownEnv();
    expectTypeOf(countdown.tools.submit.execute).parameter(1).toEqualTypeOf<ToolContext<CountdownTask, CountdownState, unknown>>();
    expectTypeOf(countdown.rubric.functions[0]!.fn).parameter(0).toEqualTypeOf<RewardContext<CountdownTask, CountdownState, unknown>>();
    // Library tools say what they need: bash a Sandbox, submit a state with `submission`.
    expectTypeOf(bash.execute).parameter(1).toEqualTypeOf<ToolContext<unknown, unknown, Sandbox>>();
    expectTypeOf(submit.execute).parameter(1).toHaveProperty('state').toEqualTypeOf<{ submission?: { answer: string | undefined; turn: number } }>();
    expectTypeOf(new DuoEnv().roles.a.tools.mark.execute).parameter(1).toEqualTypeOf<ToolContext<Task, State, Box>>();
  });

  it("hands every tool call the episode's task", async () => {
    const env = new EchoEnv();
    const state = env.createState();
    const ctx: EnvContext<Task, State, Box> = {
      task: { word: 'alpha' }, state, sandbox: { name: 'box-1' }, signal: new AbortController().signal, turn: 0, steps: [], emit: () => undefined,
    };
    const reply = {
      message: { role: 'assistant' as const, content: '', toolCalls: [{ id: 'c1', name: 'echo', arguments: { text: 'hi' } }] },
      parseErrors: [],
      finishReason: 'stop',
    };
    const result = await env.step(reply, ctx);
    expect(result.messages?.[0]?.content).toBe('ok');
    expect(state.seen).toEqual(['alpha:hi:box-1']);
  });
});
