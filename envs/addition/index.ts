/**
 * Addition: one prompt `a+b=`, one reply, reward 1 when the reply is exactly the sum. Single
 * turn and tiny on purpose: a byte-vocabulary model of half a million parameters learns it on two
 * CPU cores, which makes it the CPU demo's task (recipes/demo-cpu.ts).
 */
import { z } from 'zod';
import { SingleTurnEnv, rubric, type Message } from '../../src/index.ts';

export const AdditionTask = z.strictObject({
  a: z.number().int().min(0).max(99),
  b: z.number().int().min(0).max(99),
});
export type AdditionTask = z.infer<typeof AdditionTask>;

/** The prompt text, shared with the SFT conversations so warm start and RL see the same bytes. */
export function additionPrompt(task: AdditionTask): string {
  return `${task.a}+${task.b}=`;
}

export class AdditionEnv extends SingleTurnEnv<AdditionTask> {
  readonly taskSchema = AdditionTask;
  override readonly maxTurns = 1;

  readonly rubric = rubric<AdditionTask>({
    // Exact match after trimming whitespace: "46" pays, "46 " pays, "046" and "46!" do not.
    rewards: { exact: ({ task, completion }) => completion.trim() === String(task.a + task.b) },
    metrics: { digits: ({ completion }) => completion.trim().length },
  });

  override label(task: AdditionTask): unknown {
    return String(task.a + task.b);
  }

  prompt(task: AdditionTask): Message[] {
    return [{ role: 'user', content: additionPrompt(task) }];
  }
}

export default new AdditionEnv();
