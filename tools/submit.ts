/**
 * `submit`: the model says it is done. Records the answer on the episode state
 * (`state.submission`) for the rubric and ends the episode (`terminate`), so stop conditions
 * like `hasToolCall('submit')` and rubrics that read the sandbox both work.
 */
import { z } from 'zod';
import { tool, type ToolContext } from '../src/env/tool.ts';

export interface Submission {
  answer: string | undefined;
  turn: number;
}

/** The part of an env's state that `submit` writes. */
export interface SubmitState {
  submission?: Submission;
}

const submitInput = z.object({
  answer: z.string().optional().describe('Your final answer, if the task asks for one'),
});

export const submit = tool({
  description: 'Submit your work and end the episode. Call this once, when the task is done.',
  inputSchema: submitInput,
  execute({ answer }, ctx: ToolContext<unknown, SubmitState>) {
    const { state } = ctx;
    if (state.submission) return { output: 'Error: already submitted', isError: true, terminate: true };
    state.submission = { answer, turn: ctx.turn };
    return { output: 'Submitted.', terminate: true };
  },
});
