/**
 * The file an env is validated by (docs/usage.md, "validate"): `validate.json` beside the env, or
 * `validate.ts` whose default export is the same object or an async function returning it. Each
 * case is one task, the scripted policy's episodes for it, and what the sample must end with.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { ScriptedEpisode } from '../../engine/scripted/policy.ts';
import { InvalidInputError } from '../../protocol/errors.ts';
import { SampleStatus } from '../../protocol/sample.ts';

/** `failed` is any infrastructure failure; the exact typed statuses are accepted too. */
export const ExpectedStatus = z.union([z.literal('failed'), SampleStatus]);

export const CaseExpectation = z.union([
  z.strictObject({ reward: z.number(), role: z.string().min(1).optional() }),
  z.strictObject({ rewards: z.record(z.string(), z.number()).refine((r) => Object.keys(r).length > 0, 'name at least one role') }),
  z.strictObject({ status: ExpectedStatus }),
]);
export type CaseExpectation = z.infer<typeof CaseExpectation>;

export const ValidateCase = z.strictObject({
  name: z.string().min(1),
  task: z.unknown().refine((t) => t !== undefined, 'a case needs its task row'),
  episodes: z.array(ScriptedEpisode).min(1),
  expect: CaseExpectation,
});
export type ValidateCase = z.infer<typeof ValidateCase>;

export const ValidateSpec = z.strictObject({ cases: z.array(ValidateCase).min(1) });
export type ValidateSpec = z.infer<typeof ValidateSpec>;

export const VALIDATE_FILES = ['validate.json', 'validate.ts'] as const;

/** The validate file of an env directory, or undefined when it has none. */
export function findValidateFile(envDir: string): string | undefined {
  return VALIDATE_FILES.map((name) => path.join(envDir, name)).find((file) => existsSync(file));
}

async function readSpecValue(file: string): Promise<unknown> {
  if (file.endsWith('.json')) {
    const text = await readFile(file, 'utf8');
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new InvalidInputError(`${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
    }
  }
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(path.resolve(file)).href)) as { default?: unknown };
  } catch (error) {
    throw new InvalidInputError(`cannot load ${file}: ${(error as Error).message}`, { cause: error });
  }
  const value = module.default;
  return typeof value === 'function' ? await (value as () => unknown)() : value;
}

/** Reads and checks a validate file; a bad one is one line naming the file and the first problem. */
export async function loadValidateSpec(file: string): Promise<ValidateSpec> {
  const result = ValidateSpec.safeParse(await readSpecValue(file));
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new InvalidInputError(`${file} is invalid at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return result.data;
}

/** Whether a case expects `value` as a reward (of any role). */
export function expectsReward(expect: CaseExpectation, value: number): boolean {
  if ('reward' in expect) return expect.reward === value;
  if ('rewards' in expect) return Object.values(expect.rewards).includes(value);
  return false;
}
