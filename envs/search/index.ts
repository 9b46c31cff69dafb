/**
 * Search: answer a two-hop question from a local corpus of ~230 short encyclopedia articles about
 * a fictional world (generate.ts writes them, seeded; nothing is downloaded). Tools: `search`
 * (BM25 over the corpus, MiniSearch), `open` (read an article by id) and `answer` (ends the
 * episode). The reward is exact match against the answer and its aliases; token F1 is kept as a
 * zero-weight metric (docs/customization.md, "The search env", says why).
 */
import { z } from 'zod';
import { ToolEnv, hasToolCall, type EnvContext, type Message } from '../../src/index.ts';
import { bestOver, exactMatch, tokenF1 } from './answer-match.ts';
import { sharedCorpus, type Corpus } from './corpus.ts';
import { SearchTask } from './task.ts';

export { SearchTask } from './task.ts';

export interface SearchState {
  answer?: string;
  searches: number;
  /** Ids of the articles opened, in order (repeats kept out). */
  opened: string[];
}

type Ctx = EnvContext<SearchTask, SearchState>;

const RESULTS = 5;

export class SearchEnv extends ToolEnv<SearchTask, SearchState> {
  readonly taskSchema = SearchTask;
  override readonly maxTurns = 10;
  override readonly stopWhen = hasToolCall('answer');

  /** The corpus; the shipped one by default, another for tests. */
  constructor(private readonly corpusSource: () => Corpus = sharedCorpus) {
    super();
  }

  get corpus(): Corpus {
    return this.corpusSource();
  }

  // Index once per run, before the first episode, not inside one.
  override async setup(): Promise<void> {
    void this.corpus;
  }

  readonly tools = {
    search: this.defineTool({
      description: `Full-text search over the encyclopedia. Returns up to ${RESULTS} articles: id, title and first sentence.`,
      inputSchema: z.object({ query: z.string().min(1).max(200).describe('words to look for, e.g. a name') }),
      execute: ({ query }, { state }) => {
        state.searches += 1;
        const hits = this.corpus.search(query, RESULTS);
        if (hits.length === 0) return `No article matches "${query}". Try other words.`;
        return hits.map((hit, i) => `${i + 1}. [${hit.id}] ${hit.title}: ${hit.snippet}`).join('\n');
      },
    }),
    open: this.defineTool({
      description: 'Read a whole article by its id (the id in square brackets in search results).',
      inputSchema: z.object({ id: z.string().min(1).max(100) }),
      execute: ({ id }, { state }) => {
        const doc = this.corpus.get(id);
        if (!doc) return { output: `No article has the id "${id}". Ids come from search results, e.g. [vaila-motors].`, isError: true };
        if (!state.opened.includes(doc.id)) state.opened.push(doc.id);
        return `# ${doc.title}\n\n${doc.text}`;
      },
    }),
    answer: this.defineTool({
      description: 'Give the final answer: a short name, place or year. Ends the episode.',
      inputSchema: z.object({ answer: z.string().max(200) }),
      execute: ({ answer }, { state }) => {
        state.answer = answer;
        return { output: 'Answer recorded.', terminate: true };
      },
    }),
  };

  // Exact match is the reward (as in Search-R1): F1's partial credit pays for listing several
  // candidates ("Ripul or Faitount" scores 0.5 against "Ripul"), which a policy learns to exploit. F1 is kept as a
  // metric to see near misses (an extra word, a half name) without paying for them.
  readonly rubric = this.defineRubric({
    rewards: { exact_match: ({ task, state }) => state.answer !== undefined && bestOver(state.answer, task.answers, exactMatch) === 1 },
    metrics: {
      f1: ({ task, state }) => (state.answer === undefined ? 0 : bestOver(state.answer, task.answers, tokenF1)),
      answered: ({ state }) => state.answer !== undefined,
      searches: ({ state }) => state.searches,
      opened: ({ state }) => state.opened.length,
      // Of the two articles that hold the evidence, the share the agent read.
      evidence_read: ({ task, state }) => task.hops.filter((id) => state.opened.includes(id)).length / task.hops.length,
    },
  });

  override createState(): SearchState {
    return { searches: 0, opened: [] };
  }

  override label(task: SearchTask): unknown {
    return task.answers[0];
  }

  reset({ task }: Ctx): Message[] {
    return [
      {
        role: 'system',
        content:
          'You answer questions using an encyclopedia of a fictional world; the facts are only in its articles. ' +
          'Use search to find articles, open to read one, and answer with a short final answer once you know it.',
      },
      { role: 'user', content: `Question: ${task.question}` },
    ];
  }
}

export default new SearchEnv();
