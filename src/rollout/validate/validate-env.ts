/**
 * `physarum validate` for one env directory: load the env and its validate file, replay every
 * case through the scripted policy and the real rollout path, check each `expect`, then inject
 * infrastructure failures into the first case that reaches reward 1 and check each ends with its
 * typed status. Every miss is one line: `validate <env>: case '<name>': <reason>`.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Chat } from '../../chat/chat-template.ts';
import { asAgents } from '../../env/agents.ts';
import { loadEnv, resolveEnvModule, type AnyEnv } from '../../env/load-env.ts';
import { usesSandboxes } from '../../env/sandbox-lease.ts';
import { parseTask } from '../../env/task.ts';
import { openEnvRun, type EnvRun } from '../env-run.ts';
import { expectationMiss } from './expectation.ts';
import { faultChecks, faultMiss } from './fault-verdict.ts';
import { runCase, type CaseRun } from './run-case.ts';
import { expectsReward, findValidateFile, loadValidateSpec, type ValidateCase } from './validate-spec.ts';

export interface CaseOutcome {
  env: string;
  name: string;
  /** An injected infrastructure failure rather than a case of the file. */
  injected: boolean;
  /** Undefined when the case passed. */
  miss?: string;
  seconds: number;
}

export interface EnvValidation {
  env: string;
  cases: number;
  casesPassed: number;
  faults: number;
  faultsPassed: number;
  /** Median wall time of the cases' episodes (the first pays for warm-up: compiling the template, loading the env). */
  secondsPerEpisode: number | undefined;
  /** One line per miss. */
  misses: string[];
}

export interface ValidateEnvOptions {
  chat: Chat;
  /** Each case and injected fault as it finishes (progress lines). */
  onCase?: (outcome: CaseOutcome) => void;
  /** Stops between cases (an episode in flight ends as `aborted`); the report covers what ran. */
  signal?: AbortSignal;
}

/** The env module of a directory (index.ts, or env.ts as `physarum init-env` writes it) or of a module path. */
export function envModuleOf(spec: string): { dir: string; module: string | undefined } {
  const full = path.resolve(spec);
  if (existsSync(full) && statSync(full).isDirectory()) {
    const module = ['index.ts', 'index.js', 'env.ts', 'env.js'].map((name) => path.join(full, name)).find((file) => existsSync(file));
    return { dir: full, module };
  }
  const module = resolveEnvModule(spec);
  return { dir: module ? path.dirname(module) : full, module };
}

/** A task as a report names it: its id when it has one, else its JSON (cut short). */
export function taskLabel(task: unknown): string {
  const row = task as Record<string, unknown> | null;
  for (const key of ['instance_id', 'id', 'task_id']) if (row && typeof row === 'object' && typeof row[key] === 'string') return String(row[key]);
  const text = JSON.stringify(task) ?? String(task);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

export async function validateEnv(spec: string, options: ValidateEnvOptions): Promise<EnvValidation> {
  const { dir, module } = envModuleOf(spec);
  const env = path.basename(dir);
  const result: EnvValidation = { env, cases: 0, casesPassed: 0, faults: 0, faultsPassed: 0, secondsPerEpisode: undefined, misses: [] };
  const missLine = (what: string, reason: string): void => void result.misses.push(`validate ${env}: ${what}: ${reason}`);
  if (!module) return missLine('env', `no env module in ${spec} (index.ts or env.ts)`), result;
  const file = findValidateFile(dir);
  if (!file) return missLine('env', `no validate.json or validate.ts in ${path.relative(process.cwd(), dir) || '.'} (docs/usage.md, "validate")`), result;
  let loaded: AnyEnv;
  let cases: ValidateCase[];
  try {
    loaded = await loadEnv(module);
    cases = (await loadValidateSpec(file)).cases;
  } catch (error) {
    return missLine('env', (error as Error).message), result;
  }
  result.cases = cases.length;
  if (!cases.some((c) => expectsReward(c.expect, 1))) missLine('cases', 'no case expects reward 1 (a known-good solution)');
  if (!cases.some((c) => expectsReward(c.expect, 0))) missLine('cases', 'no case expects reward 0 (a known-wrong answer)');

  let run: EnvRun;
  try {
    run = await openEnvRun(loaded, options.signal ? { signal: options.signal } : {});
  } catch (error) {
    return missLine('env', `cannot start the env's run: ${(error as Error).message}`), result;
  }
  const report = (outcome: CaseOutcome): void => {
    if (outcome.miss) missLine(`case '${outcome.name}'`, outcome.miss);
    options.onCase?.(outcome);
  };
  const seconds: number[] = [];
  let gold: { item: ValidateCase; run: CaseRun } | undefined;
  try {
    const program = asAgents(loaded);
    const runOptions = { env: loaded, chat: options.chat, sandboxes: run.sandboxes, ...(options.signal ? { signal: options.signal } : {}) };
    for (const item of cases) {
      if (options.signal?.aborted) break;
      const label = `task ${taskLabel(item.task)}`;
      let miss: string | undefined;
      let caseRun: CaseRun | undefined;
      try {
        parseTask(program.taskSchema, item.task);
        caseRun = await runCase(item, runOptions);
        seconds.push(caseRun.seconds);
        miss = expectationMiss(caseRun.samples, item.expect);
      } catch (error) {
        miss = (error as Error).message;
      }
      if (!miss) result.casesPassed++;
      if (!miss && caseRun && !gold && expectsReward(item.expect, 1)) gold = { item, run: caseRun };
      report({ env, name: item.name, injected: false, ...(miss ? { miss: `${label}: ${miss}` } : {}), seconds: caseRun?.seconds ?? 0 });
    }
    if (gold) {
      const checks = faultChecks(gold.run.generateRequests, run.sandboxes !== undefined && usesSandboxes(loaded));
      result.faults = checks.length;
      for (const check of checks) {
        if (options.signal?.aborted) break;
        let miss: string | undefined;
        let faultRun: CaseRun | undefined;
        try {
          faultRun = await runCase(gold.item, { ...runOptions, fault: check.fault });
          miss = faultMiss(faultRun.samples, check);
        } catch (error) {
          miss = (error as Error).message;
        }
        if (!miss) result.faultsPassed++;
        const label = `task ${taskLabel(gold.item.task)} (case '${gold.item.name}')`;
        report({ env, name: check.name, injected: true, ...(miss ? { miss: `${label}: ${miss}` } : {}), seconds: faultRun?.seconds ?? 0 });
      }
    }
  } finally {
    await run.close();
  }
  if (seconds.length > 0) {
    const sorted = [...seconds].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    result.secondsPerEpisode = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  }
  return result;
}
