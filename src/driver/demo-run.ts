/**
 * The CPU demo's training stage: an SFT warm start (recipes/demo-cpu-sft.ts) and GRPO from it
 * (recipes/demo-cpu.ts), both through the training driver on the embedded engine and the torch_hf
 * worker. Prints the reward curve as it goes, plots held-out reward per step (PNG, matplotlib in
 * the trainer venv) and ends with the demo's summary line. "Before" is the held-out reward when
 * GRPO begins (right after the warm start); "after" is the held-out reward when it ends.
 */
import path from 'node:path';
import { runTrainerModule } from '../engine/embedded/tiny-model.ts';
import { loadRecipe, type RecipeOverride } from './recipe-load.ts';
import { runRecipe, type RunSummary, type StartWorker } from './run.ts';

export interface DemoTrainingOptions {
  root: string;
  startWorker: StartWorker;
  /** Overrides for the GRPO recipe (e.g. fewer steps in a test). */
  grpo?: RecipeOverride[];
  sft?: RecipeOverride[];
  log?: (line: string) => void;
}

export interface DemoTrainingResult {
  before: number;
  after: number;
  minutes: number;
  plot?: string;
  sft: RunSummary;
  grpo: RunSummary;
}

export async function runDemoTraining(options: DemoTrainingOptions): Promise<DemoTrainingResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const began = performance.now();
  const sftRecipe = await loadRecipe(path.join(options.root, 'recipes/demo-cpu-sft.ts'), options.sft ?? []);
  log(`\n[train 1/2] SFT warm start: ${sftRecipe.recipe.name} (until held-out reward >= ${sftRecipe.recipe.train.stopAtReward})`);
  const sft = await runRecipe({ recipe: sftRecipe.recipe, startWorker: options.startWorker, fresh: true, log });
  const grpoRecipe = await loadRecipe(path.join(options.root, 'recipes/demo-cpu.ts'), [['model.path', JSON.stringify(path.join(sft.runDir, 'final'))], ...(options.grpo ?? [])]);
  log(`\n[train 2/2] GRPO: ${grpoRecipe.recipe.name} from the warm start, ${grpoRecipe.recipe.train.steps} steps`);
  const grpo = await runRecipe({ recipe: grpoRecipe.recipe, startWorker: options.startWorker, fresh: true, log });
  const before = grpo.firstEval?.heldout_reward ?? Number.NaN;
  const after = grpo.lastEval?.heldout_reward ?? Number.NaN;
  let plot: string | undefined = path.join(path.dirname(grpo.runDir), 'heldout-reward.png');
  try {
    await runTrainerModule('plot_reward', ['--out', plot, '--label', 'SFT warm start', path.join(sft.runDir, 'eval.jsonl'), '--label', 'GRPO', path.join(grpo.runDir, 'eval.jsonl')]);
    log(`\nplot of held-out reward per step: ${plot}`);
  } catch (error) {
    log(`\nno plot: ${(error as Error).message.split('\n')[0]}`);
    plot = undefined;
  }
  return { before, after, minutes: (performance.now() - began) / 60_000, ...(plot ? { plot } : {}), sft, grpo };
}
