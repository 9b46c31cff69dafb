/**
 * The `physarum` command: a thin shell over the programmatic API. Each subcommand lives in its
 * own module, imported only when used, and returns an exit code (never calls process.exit).
 */
import { PhysarumError } from '../protocol/errors.ts';
import type { Command } from './command.ts';

const commands: Record<string, () => Promise<{ command: Command }>> = {
  rollout: () => import('./rollout.ts'),
  train: () => import('./train.ts'),
  demo: () => import('./demo.ts'),
  engine: () => import('./engine.ts'),
  model: () => import('./model.ts'),
  view: () => import('./view.ts'),
  'init-env': () => import('./init-env.ts'),
  dashboard: () => import('./dashboard.ts'),
  validate: () => import('./validate.ts'),
};

function usage(): string {
  return [
    'usage: physarum <command> [options]',
    '',
    'commands:',
    ...Object.keys(commands).map((name) => `  ${name}`),
    '',
    "run 'physarum <command> --help' for a command's options",
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    console.log(usage());
    return name ? 0 : 1;
  }
  const load = commands[name];
  if (!load) {
    console.error(`physarum: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    const { command } = await load();
    return await command.run(rest);
  } catch (error) {
    // Expected failures (bad flags, missing files, unreachable engine) get one clear line.
    if (PhysarumError.isInstance(error)) {
      console.error(`physarum ${name}: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
