/**
 * The corpus the search env reads: `corpus.jsonl` beside this file (one `{ id, title, text }`
 * per line, written by generate.ts), indexed in memory with MiniSearch (BM25 ranking, prefix
 * and fuzzy matching, titles boosted). Built once per process and shared by every episode.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import MiniSearch from 'minisearch';
import { InvalidInputError } from '../../src/index.ts';
import type { SearchDocument } from './documents.ts';

export const CORPUS_FILE = path.join(import.meta.dirname, 'corpus.jsonl');

export interface SearchHit {
  id: string;
  title: string;
  score: number;
  /** The document's first sentence, cut to `SNIPPET_CHARS`. */
  snippet: string;
}

const SNIPPET_CHARS = 160;

export class Corpus {
  private readonly byId: Map<string, SearchDocument>;
  private readonly index: MiniSearch<SearchDocument>;

  constructor(readonly documents: readonly SearchDocument[]) {
    this.byId = new Map(documents.map((doc) => [doc.id, doc]));
    this.index = new MiniSearch<SearchDocument>({
      fields: ['title', 'text'],
      storeFields: ['title'],
      searchOptions: { boost: { title: 3 }, prefix: true, fuzzy: 0.2 },
    });
    this.index.addAll(documents);
  }

  /** Reads a corpus file; a malformed line is one error naming the file and line. */
  static fromFile(file = CORPUS_FILE): Corpus {
    const lines = readFileSync(file, 'utf8').split('\n').filter((line) => line.trim() !== '');
    const docs = lines.map((line, i) => {
      let doc: Partial<SearchDocument>;
      try {
        doc = JSON.parse(line) as Partial<SearchDocument>;
      } catch (error) {
        throw new InvalidInputError(`${file} line ${i + 1}: not JSON (${(error as Error).message})`, { cause: error });
      }
      if (typeof doc?.id !== 'string' || typeof doc.title !== 'string' || typeof doc.text !== 'string')
        throw new InvalidInputError(`${file} line ${i + 1}: a document needs string id, title and text`);
      return doc as SearchDocument;
    });
    return new Corpus(docs);
  }

  get(id: string): SearchDocument | undefined {
    return this.byId.get(id.trim());
  }

  search(query: string, limit = 5): SearchHit[] {
    return this.index.search(query).slice(0, limit).map((hit) => {
      const text = this.byId.get(String(hit.id))!.text;
      const sentence = text.split(/(?<=\.)\s/)[0]!;
      return {
        id: String(hit.id),
        title: String(hit.title),
        score: hit.score,
        snippet: sentence.length > SNIPPET_CHARS ? `${sentence.slice(0, SNIPPET_CHARS)}…` : sentence,
      };
    });
  }
}

let shared: Corpus | undefined;

/** The corpus shipped with the env, loaded and indexed on first use. */
export function sharedCorpus(): Corpus {
  shared ??= Corpus.fromFile();
  return shared;
}
