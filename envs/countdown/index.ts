/**
 * Countdown: reach a target number from given numbers with + - * / (each number at most once).
 * Multi-turn with tools: `calculate` evaluates an expression, `submit` hands in the final one and
 * ends the episode. Reward 1 for a correct submission; metrics count calculator use.
 */
import { z } from 'zod';
import { ToolEnv, hasToolCall, type EnvContext, type Message } from '../../src/index.ts';
import { ArithmeticError, evaluate, formatNumber, usesOnlyGiven } from './arithmetic.ts';

export const CountdownTask = z.object({
  numbers: z.array(z.number().int().positive()).min(2).max(6),
  target: z.number().int().positive(),
  /** A known solution (used by the scripted policy; never shown to the model). */
  solution: z.string().optional(),
});
export type CountdownTask = z.infer<typeof CountdownTask>;

export interface CountdownState {
  submitted?: string;
  correct?: boolean;
  calculations: number;
}

type Ctx = EnvContext<CountdownTask, CountdownState>;

function check(expression: string, task: CountdownTask): { ok: boolean; message: string } {
  try {
    const { value, literals } = evaluate(expression);
    if (!usesOnlyGiven(literals, task.numbers))
      return { ok: false, message: `${expression} uses numbers that are not available (${task.numbers.join(', ')}, each once)` };
    if (value !== task.target) return { ok: false, message: `${expression} = ${formatNumber(value)}, not ${task.target}` };
    return { ok: true, message: `${expression} = ${task.target}` };
  } catch (error) {
    if (error instanceof ArithmeticError) return { ok: false, message: `cannot evaluate '${expression}': ${error.message}` };
    throw error;
  }
}

export class CountdownEnv extends ToolEnv<CountdownTask, CountdownState> {
  readonly taskSchema = CountdownTask;
  override readonly maxTurns = 6;
  override readonly stopWhen = hasToolCall('submit');

  // Tools and rubric come from the env (`this.defineTool`, `this.defineRubric`): task, state and
  // sandbox are typed as CountdownTask and CountdownState, with no casts.
  readonly tools = {
    calculate: this.defineTool({
      description: 'Evaluate an arithmetic expression with + - * / and parentheses.',
      inputSchema: z.object({ expression: z.string().min(1).max(200) }),
      execute: ({ expression }, { state }) => {
        state.calculations += 1;
        try {
          return formatNumber(evaluate(expression).value);
        } catch (error) {
          if (error instanceof ArithmeticError) return { output: `Error: ${error.message}`, isError: true };
          throw error;
        }
      },
    }),
    submit: this.defineTool({
      description: 'Submit the final expression. It must use each given number at most once and equal the target.',
      inputSchema: z.object({ expression: z.string().min(1).max(200) }),
      execute: ({ expression }, { task, state }) => {
        const verdict = check(expression, task);
        state.submitted = expression;
        state.correct = verdict.ok;
        return { output: verdict.ok ? `Correct: ${verdict.message}` : `Wrong: ${verdict.message}`, terminate: true };
      },
    }),
  };

  readonly rubric = this.defineRubric({
    rewards: { correct: ({ state }) => state.correct === true },
    metrics: { submitted: ({ state }) => state.submitted !== undefined, calculations: ({ state }) => state.calculations },
  });

  override createState(): CountdownState {
    return { calculations: 0 };
  }

  override label(task: CountdownTask): unknown {
    return { target: task.target };
  }

  reset({ task }: Ctx): Message[] {
    return [
      { role: 'system', content: 'You solve Countdown puzzles. Use the calculate tool to try ideas, then call submit with your final expression.' },
      { role: 'user', content: `Numbers: ${task.numbers.join(' ')}. Target: ${task.target}. Use each number at most once with + - * /.` },
    ];
  }
}

export default new CountdownEnv();
