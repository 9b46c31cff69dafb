/**
 * envs/coding's task format: SWE-bench instances (the project's generated tasks and a user's own
 * SWE-bench-style JSONL load through the same schema), and the base tree of a project task.
 * The format and the recipes are fixed by docs/coding-dataset.md.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { InvalidInputError } from '../../src/index.ts';
import { applyUnifiedDiff, type Tree } from './unified-diff.ts';

export { applyUnifiedDiff, diffPaths, type Tree } from './unified-diff.ts';

/** FAIL_TO_PASS / PASS_TO_PASS: a JSON array, or (as in SWE-bench's own files) a string holding one. */
const TestList = z.unknown().transform((value, ctx): string[] => {
  let list = value;
  if (typeof value === 'string') {
    try {
      list = JSON.parse(value);
    } catch {
      list = undefined;
    }
  }
  if (Array.isArray(list) && list.every((id) => typeof id === 'string')) return list as string[];
  ctx.addIssue({ code: 'custom', message: 'must be a JSON array of test ids, or a string holding one' });
  return z.NEVER;
});

const Commit = z.string().regex(/^[0-9a-f]{7,40}$/, 'a git commit hash');

/** One SWE-bench instance; unknown fields (hints_text, created_at, an image name, ...) are kept. */
export const SweBenchInstance = z.looseObject({
  instance_id: z.string().min(1),
  repo: z.string().min(1),
  base_commit: Commit,
  patch: z.string(),
  test_patch: z.string(),
  problem_statement: z.string().min(1),
  FAIL_TO_PASS: TestList.refine((tests) => tests.length > 0, 'at least one test must fail before the fix'),
  PASS_TO_PASS: TestList,
  environment_setup_commit: Commit.optional(),
  version: z.union([z.string(), z.number()]).transform(String).optional(),
});
export type SweBenchInstance = z.output<typeof SweBenchInstance>;

/** Reads a JSONL file of instances; a bad row is an InvalidInputError naming file:line and the field. */
export function readInstances(file: string): SweBenchInstance[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InvalidInputError(`cannot read SWE-bench instances from ${file}: ${(error as Error).message}`, { cause: error });
  }
  const seen = new Map<string, number>();
  const instances: SweBenchInstance[] = [];
  text.split('\n').forEach((line, index) => {
    const where = `${file}:${index + 1}`;
    if (line.trim() === '') return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (error) {
      throw new InvalidInputError(`${where}: not a JSON object (${(error as Error).message})`);
    }
    const parsed = SweBenchInstance.safeParse(row);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.length ? issue.path.join('.') : '(row)';
      throw new InvalidInputError(`${where}: field ${field}: ${issue.message}`);
    }
    const earlier = seen.get(parsed.data.instance_id);
    if (earlier !== undefined) throw new InvalidInputError(`${where}: instance_id ${parsed.data.instance_id} repeats line ${earlier}`);
    seen.set(parsed.data.instance_id, index + 1);
    instances.push(parsed.data);
  });
  return instances;
}

/** The project's own repositories are named `physarum/<folder under envs/coding/repos>`. */
export const PROJECT_REPO_PREFIX = 'physarum/';

/** Paths never part of a tree: caches a test run leaves behind. */
const IGNORED = /(^|\/)(__pycache__|\.pytest_cache)(\/|$)|\.pyc$/;

function readTree(root: string): Tree {
  const tree: Tree = {};
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const rel = path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/');
    if (!IGNORED.test(rel)) tree[rel] = readFileSync(path.join(root, rel), 'utf8');
  }
  return tree;
}

/**
 * The base (buggy) tree of a project task: the repo's clean files minus tests/, with `patch`
 * reversed. Keys are sorted relative paths; committing them with BASE_COMMIT_RECIPE gives base_commit.
 */
export function baseTree(instance: SweBenchInstance, reposDir: string): Tree {
  if (!instance.repo.startsWith(PROJECT_REPO_PREFIX))
    throw new InvalidInputError(`${instance.instance_id}: repo ${instance.repo} is not a project repo (${PROJECT_REPO_PREFIX}<name>); its tree comes from its own image`);
  const name = instance.repo.slice(PROJECT_REPO_PREFIX.length);
  const root = path.join(reposDir, name);
  let fixed: Tree;
  try {
    fixed = readTree(root);
  } catch (error) {
    throw new InvalidInputError(`${instance.instance_id}: no repository ${name} under ${reposDir}`, { cause: error });
  }
  for (const rel of Object.keys(fixed)) if (rel.startsWith('tests/')) delete fixed[rel];
  const base = applyUnifiedDiff(fixed, instance.patch, { reverse: true, label: `patch of ${instance.instance_id}` });
  return Object.fromEntries(Object.keys(base).sort().map((rel) => [rel, base[rel]!]));
}

/** The tests/ files a task's test_patch creates (on top of the base tree). */
export function testFiles(instance: SweBenchInstance): Tree {
  return applyUnifiedDiff({}, instance.test_patch, { label: `test_patch of ${instance.instance_id}` });
}

/**
 * Commits the working directory's files as the base commit; run in a fresh directory holding the
 * base tree (all files mode 100644), it yields exactly the instance's base_commit.
 */
export const BASE_COMMIT_RECIPE =
  'git init -q -b main && git add -A && ' +
  'GIT_AUTHOR_NAME=physarum GIT_AUTHOR_EMAIL=physarum@localhost ' +
  'GIT_COMMITTER_NAME=physarum GIT_COMMITTER_EMAIL=physarum@localhost ' +
  "GIT_AUTHOR_DATE='2026-01-01T00:00:00+0000' GIT_COMMITTER_DATE='2026-01-01T00:00:00+0000' " +
  'git commit -q -m base';
