/**
 * `physarum train <recipe>`: run a recipe through the training driver. Recipe fields are
 * overridden by dotted flags (`--train.steps 3`, `--rollout.sampling.temperature=0.8`) and a few
 * aliases; `--sglang-*` and `--router-*` flags join the fleet's argv, `--megatron-*` the worker's
 * megatron config. First Ctrl-C: finish the step, save, stop; second: stop at once.
 */
import { splitPassThroughFlags } from '../engine/fleet/fleet-plan.ts';
import { InvalidInputError } from '../protocol/errors.ts';
import { dryRun, formatDryRun } from '../driver/dry-run.ts';
import { loadRecipe, type RecipeOverride } from '../driver/recipe-load.ts';
import { runRecipe } from '../driver/run.ts';
import { megatronFlags } from '../driver/trainer-port.ts';
import { Progress } from '../protocol/progress.ts';
import { formatHelp, parseFlags, type FlagTable } from './args.ts';
import type { Command } from './command.ts';

const trainFlags = {
  resume: { type: 'boolean', description: 'continue the run in the recipe\'s run directory from its last checkpoint' },
  fresh: { type: 'boolean', description: 'start over: remove the run directory\'s metrics, buffer, checkpoints and weights' },
  'dry-run': { type: 'boolean', description: 'print and validate the engine and worker launch plan; start nothing' },
  steps: { type: 'positive-integer', description: 'alias of --train.steps' },
  mode: { type: 'string', description: "alias of --train.mode ('sync' or 'async')" },
  'run-dir': { type: 'string', description: 'alias of --runDir', valueName: 'dir' },
  seed: { type: 'integer', description: 'alias of --train.seed' },
  progress: { type: 'boolean', description: 'a status line on stderr (redrawn on a TTY; --no-progress: none)', default: true },
} satisfies FlagTable;

const ALIASES: Record<string, string> = { steps: 'train.steps', mode: 'train.mode', 'run-dir': 'runDir', seed: 'train.seed' };

/** Split argv into dotted recipe overrides, pass-through engine/trainer flags and the rest. */
export function splitTrainArgv(argv: readonly string[]): { overrides: RecipeOverride[]; sglang: string[]; router: string[]; megatron: Record<string, string | true>; rest: string[] } {
  const overrides: RecipeOverride[] = [];
  const megatron: Record<string, string | true> = {};
  const others: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    const dotted = /^--([A-Za-z][\w]*(?:\.[A-Za-z_][\w]*)+)(?:=(.*))?$/.exec(word);
    const mega = /^--(megatron-[\w-]+)(?:=(.*))?$/.exec(word);
    const match = dotted ?? mega;
    if (!match) {
      others.push(word);
      continue;
    }
    let value: string | true | undefined = match[2];
    if (value === undefined) {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--')) value = (i++, next);
      else if (mega) value = true;
      else throw new InvalidInputError(`${word} needs a value`);
    }
    if (mega) megatron[match[1]!] = value;
    else overrides.push([match[1]!, value as string]);
  }
  const split = splitPassThroughFlags(others);
  return { overrides, sglang: split.sglang, router: split.router, megatron, rest: split.rest };
}

export const command: Command = {
  summary: 'train a model with a recipe (RL or SFT): rollout, Data Buffer, trainer worker, weight sync',
  async run(argv) {
    const split = splitTrainArgv(argv);
    const { values, positionals, help } = parseFlags(split.rest, trainFlags, { command: 'train' });
    if (help) {
      console.log(formatHelp('train <recipe>', this.summary, trainFlags, [
        '', 'any recipe field: --<field.path> <value> (JSON or text), e.g. --train.steps 3 --rollout.sampling.temperature 0.8',
        'pass-through: --sglang-<flag>, --router-<flag> (fleet engines), --megatron-<flag> (worker)',
      ]));
      return 0;
    }
    if (positionals.length !== 1) throw new InvalidInputError(`expected one recipe (a .ts or .json file), got ${positionals.length}`);
    const overrides: RecipeOverride[] = [...split.overrides];
    for (const [flag, path] of Object.entries(ALIASES)) {
      const value = (values as Record<string, unknown>)[flag];
      if (value !== undefined) overrides.push([path, String(value)]);
    }
    const loaded = await loadRecipe(positionals[0]!, overrides);
    const recipe = loaded.recipe;
    if (split.sglang.length > 0 || split.router.length > 0) {
      if (recipe.engine.kind !== 'fleet') throw new InvalidInputError(`--sglang-*/--router-* flags need engine.kind "fleet", the recipe has "${recipe.engine.kind}"`);
      recipe.engine.sglangArgs.push(...split.sglang);
      recipe.engine.routerArgs.push(...split.router);
    }
    Object.assign(recipe.trainer.megatron, megatronFlags(split.megatron));
    if (values['dry-run']) {
      console.log(formatDryRun(dryRun(recipe)));
      return 0;
    }
    // Loaded only for a real run: a dry run needs neither Python nor the worker client.
    const { startWorker } = await import('../driver/start-worker.ts');
    const stop = new AbortController();
    const abort = new AbortController();
    const onSigint = (): void => {
      if (!stop.signal.aborted) {
        console.error('\ntrain: stopping after this step (Ctrl-C again to stop now)');
        stop.abort(new Error('interrupted (SIGINT)'));
      } else abort.abort(new Error('interrupted twice (SIGINT)'));
    };
    process.on('SIGINT', onSigint);
    // Step lines go to stdout as before; the status line (stderr) says what the step is doing.
    // Not a TTY: the step lines are the progress, plus a line after a minute without one.
    const progress = new Progress(process.stderr, 'train', { total: recipe.train.steps, unit: 'steps', plainEveryPercent: 100, plainEverySeconds: 60, enabled: values.progress });
    progress.status('starting the trainer worker and engines');
    const heartbeat = setInterval(() => progress.heartbeat(), 1000);
    heartbeat.unref();
    let episodes = 0;
    try {
      const summary = await runRecipe({
        recipe, startWorker, resume: values.resume ?? false, fresh: values.fresh ?? false, stop: stop.signal, abort: abort.signal,
        log: (line) => progress.log(line, (text) => process.stdout.write(text)),
        onEpisode: () => progress.status(`rollout: ${++episodes} episodes since the last step`),
        onStep: (line) => {
          episodes = 0;
          const done = Number(line.step) + 1;
          progress.update(done, done < recipe.train.steps ? 'rolling out the next step' : 'final save and export');
        },
      });
      progress.clear();
      const before = summary.firstEval?.heldout_reward;
      const after = summary.lastEval?.heldout_reward;
      console.log(
        `train: ${summary.stopped ? 'stopped' : 'done'} after step ${summary.trainedThrough + 1} (weights v${summary.weightVersion})` +
          (before !== undefined && after !== undefined ? `, held-out reward ${before.toFixed(3)} -> ${after.toFixed(3)}` : '') +
          `, ${(summary.seconds / 60).toFixed(1)} min; metrics in ${summary.runDir}/metrics.jsonl`,
      );
      return summary.stopped ? 130 : 0;
    } finally {
      clearInterval(heartbeat);
      progress.clear();
      process.off('SIGINT', onSigint);
    }
  },
};
