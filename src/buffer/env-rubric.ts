/**
 * The adapter from an env rubric (src/env/rubric.ts) to a `SampleRubric` for `rescore`.
 *
 * A stored sample has no live episode: the rubric sees the prompt messages plus the decoded
 * response as one assistant turn, `completion` = the response, `role` = the sample's agent, empty
 * `state` and `steps`, and no sandbox. Rubrics that need a live sandbox cannot be re-scored
 * offline (they throw, and the sample becomes verifier_error). Group functions are not applied.
 */
import { VerifierError } from '../env/errors.ts';
import { scoreEpisode, type Rubric } from '../env/rubric.ts';
import type { Message } from '../env/types.ts';
import type { Sample } from '../protocol/sample.ts';
import type { SampleRubric } from './debug.ts';

export interface EnvRubricAdapterOptions<TTask> {
  /** The task the rubric expects; default: `metadata.task`, else `{ prompt, label }`. */
  task?: (sample: Sample) => TTask;
  signal?: AbortSignal;
}

export function sampleRubricFromEnv<TTask = any>(r: Rubric<TTask, any>, options: EnvRubricAdapterOptions<TTask> = {}): SampleRubric {
  const signal = options.signal ?? new AbortController().signal;
  return (sample) => {
    const prompt: Message[] = typeof sample.prompt === 'string' ? [{ role: 'user', content: sample.prompt }] : (sample.prompt as Message[]);
    const task = options.task ? options.task(sample) : ((sample.metadata.task ?? { prompt: sample.prompt, label: sample.label }) as TTask);
    return scoreEpisode(r, {
      task,
      state: {},
      messages: [...prompt, { role: 'assistant', content: sample.response }],
      steps: [],
      completion: sample.response,
      role: sample.agent,
      status: sample.status,
      sandbox: undefined,
      verificationRoom: () => Promise.reject(new VerifierError('verificationRoom', 'rescoring a stored sample has no sandbox to verify in')),
      signal,
    });
  };
}
