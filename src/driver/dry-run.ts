/**
 * `physarum train <recipe> --dry-run`: what the run would start, validated, with nothing started:
 * the SGLang fleet's launch argv (pass-through flags included), the worker's command line, and
 * the worker's `init` config.
 */
import path from 'node:path';
import { InvalidInputError } from '../protocol/errors.ts';
import { WorkerInitConfig } from '../protocol/trainer-rpc.ts';
import { fleetPlan, weightFormat } from './engines.ts';
import type { Recipe } from './recipe.ts';
import { workerInitConfig } from './trainer-port.ts';

export interface DryRun {
  recipe: string;
  mode: string;
  engines: Array<{ role: string; argv: string[]; url?: string }>;
  worker: { argv: string[]; init: Record<string, unknown> };
  weightFormat: 'gguf' | 'hf';
  runDir: string;
}

export function workerArgv(recipe: Recipe, python = recipe.trainer.python ?? 'python'): string[] {
  const module = ['-m', 'physarum_trainer.worker', '--host', '127.0.0.1', '--port', '0'];
  return recipe.trainer.nproc > 1 ? ['torchrun', '--nproc-per-node', String(recipe.trainer.nproc), ...module] : [python, ...module];
}

export function dryRun(recipe: Recipe): DryRun {
  const model = recipe.model.path ?? path.join(recipe.runDir, 'model');
  const plan = fleetPlan(recipe, model);
  const e = recipe.engine;
  const engines =
    plan !== undefined
      ? [...plan.engines, ...(plan.router ? [plan.router] : [])].map((c) => ({ role: c.role, argv: [c.command, ...c.args], url: c.url }))
      : e.kind === 'external'
        ? e.urls.map((url) => ({ role: 'engine', argv: [], url }))
        : [{ role: e.kind, argv: [] }];
  const init = workerInitConfig(recipe, model);
  const checked = WorkerInitConfig.safeParse(init);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new InvalidInputError(`recipe ${recipe.name}: the worker would refuse its init config at ${issue.path.join('.')}: ${issue.message}`);
  }
  return {
    recipe: recipe.name,
    mode: `${recipe.algorithm.kind} ${recipe.train.mode}${recipe.train.colocate ? ' colocated' : ''}`,
    engines,
    worker: { argv: workerArgv(recipe), init },
    weightFormat: weightFormat(recipe),
    runDir: recipe.runDir,
  };
}

export function formatDryRun(plan: DryRun): string {
  const quote = (w: string): string => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);
  return [
    `recipe ${plan.recipe}: ${plan.mode}, weights as ${plan.weightFormat}, run directory ${plan.runDir}`,
    ...plan.engines.map((e) => `${e.role}: ${e.argv.length ? e.argv.map(quote).join(' ') : '(started in process)'}${e.url ? `  -> ${e.url}` : ''}`),
    `worker: ${plan.worker.argv.map(quote).join(' ')}`,
    `worker init: ${JSON.stringify(plan.worker.init)}`,
  ].join('\n');
}
