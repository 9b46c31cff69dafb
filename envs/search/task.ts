// One question of the search env: a two-hop question over the corpus, its answers (aliases) and
// the two documents that hold the evidence. Only `question` is shown to the model.
import { z } from 'zod';

export const SearchTask = z.strictObject({
  id: z.string().min(1),
  question: z.string().min(1),
  /** The answer and its aliases; scored by the best match over them. */
  answers: z.array(z.string().min(1)).min(1),
  /** Which kind of two-hop question (e.g. `founder_birthplace`). */
  type: z.string().min(1),
  /** The ids of the two documents that answer it, in the order they are needed. */
  hops: z.tuple([z.string().min(1), z.string().min(1)]),
  /** The entity that links the two documents (what the first document gives). */
  bridge: z.string().min(1),
});
export type SearchTask = z.infer<typeof SearchTask>;
