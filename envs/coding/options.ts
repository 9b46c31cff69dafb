/**
 * How the coding env is configured: constructor options, with defaults read from PHYSARUM_CODING_*
 * environment settings so `physarum rollout --env envs/coding` can be tuned without code. Two
 * sources of tasks share the env: the project's own packages (the base tree is written into the
 * sandbox from envs/coding/repos) and SWE-bench-style instances with their own images (the
 * repository already in the image at `workdir`, at base_commit).
 */
import path from 'node:path';
import { InvalidInputError, type SandboxLimitsSchema } from '../../src/index.ts';
import type { z } from 'zod';
import type { SweBenchInstance } from './dataset.ts';

export type TestVisibility = 'visible' | 'hidden';

export interface CodingEnvOptions {
  /**
   * `visible`: the tests that reproduce the bug (the test patch) are in the agent's working tree,
   * uncommitted (HEAD stays base_commit). `hidden`: they are never in its sandbox. Default `visible`
   * (PHYSARUM_CODING_TESTS).
   */
  tests?: TestVisibility;
  /** Model turns per episode (tool-call rounds). Default 30 (PHYSARUM_CODING_MAX_TURNS). */
  maxTurns?: number;
  /** Tokens per episode, prompt and replies together. Default 32768 (PHYSARUM_CODING_TOKEN_BUDGET). */
  tokenBudget?: number;
  /** The project's packages (`repo` = `physarum/<folder>`). Default: envs/coding/repos. */
  reposDir?: string;
  /**
   * SWE-bench style: the image of a task, a template (`{instance_id}`, `{repo}`, `{version}` are
   * replaced) or a function. Set, every task runs in its image with the repository at `workdir`
   * at base_commit; unset, tasks are the project's packages (PHYSARUM_CODING_IMAGE).
   */
  image?: string | ((task: SweBenchInstance) => string);
  /** The repository's directory. Default /workspace, or /testbed with `image` (PHYSARUM_CODING_WORKDIR). */
  workdir?: string;
  /** The Python that runs pytest in the verification room. Default python3 (PHYSARUM_CODING_PYTHON). */
  python?: string;
  /** The test run's limit in the verification room. Default 120 s. */
  testTimeoutMs?: number;
  /** The largest diff of the agent's that is verified; a larger one scores 0. Default 1 MiB. */
  maxDiffBytes?: number;
  /** A bash/python command's limit. Default 60 s. */
  commandTimeoutMs?: number;
  limits?: z.input<typeof SandboxLimitsSchema>;
}

export interface ResolvedCodingOptions {
  tests: TestVisibility;
  maxTurns: number;
  tokenBudget: number;
  reposDir: string;
  image: ((task: SweBenchInstance) => string) | undefined;
  workdir: string;
  python: string;
  testTimeoutMs: number;
  maxDiffBytes: number;
  commandTimeoutMs: number;
  limits: z.input<typeof SandboxLimitsSchema>;
}

function positiveInt(name: string, value: number | string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidInputError(`coding env: ${name} must be a positive integer, got '${value}'`);
  return n;
}

function imageOf(image: CodingEnvOptions['image']): ResolvedCodingOptions['image'] {
  if (image === undefined || image === '') return undefined;
  if (typeof image === 'function') return image;
  return (task) => image.replaceAll('{instance_id}', task.instance_id).replaceAll('{repo}', task.repo).replaceAll('{version}', task.version ?? '');
}

export function resolveOptions(options: CodingEnvOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedCodingOptions {
  const tests = options.tests ?? (env.PHYSARUM_CODING_TESTS as TestVisibility | undefined) ?? 'visible';
  if (tests !== 'visible' && tests !== 'hidden') throw new InvalidInputError(`coding env: tests must be 'visible' or 'hidden', got '${String(tests)}'`);
  const image = imageOf(options.image ?? env.PHYSARUM_CODING_IMAGE);
  const workdir = options.workdir ?? (env.PHYSARUM_CODING_WORKDIR || (image ? '/testbed' : '/workspace'));
  if (!workdir.startsWith('/')) throw new InvalidInputError(`coding env: workdir must be an absolute path, got '${workdir}'`);
  return {
    tests,
    maxTurns: positiveInt('maxTurns (PHYSARUM_CODING_MAX_TURNS)', options.maxTurns ?? env.PHYSARUM_CODING_MAX_TURNS, 30),
    tokenBudget: positiveInt('tokenBudget (PHYSARUM_CODING_TOKEN_BUDGET)', options.tokenBudget ?? env.PHYSARUM_CODING_TOKEN_BUDGET, 32_768),
    reposDir: options.reposDir ?? path.join(import.meta.dirname, 'repos'),
    image,
    workdir,
    python: options.python ?? (env.PHYSARUM_CODING_PYTHON || 'python3'),
    testTimeoutMs: positiveInt('testTimeoutMs', options.testTimeoutMs, 120_000),
    maxDiffBytes: positiveInt('maxDiffBytes', options.maxDiffBytes, 1 << 20),
    commandTimeoutMs: positiveInt('commandTimeoutMs', options.commandTimeoutMs, 60_000),
    limits: options.limits ?? { memoryMb: 1024, cpus: 1, pids: 256, diskMb: 1024 },
  };
}
