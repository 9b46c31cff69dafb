/**
 * `physarum model init`: a tiny random model (HF checkpoint + matching GGUF) with no downloads.
 */
import { parseArgs } from 'node:util';
import { initTinyModel, type TinyModelOptions } from '../engine/embedded/index.ts';
import { InvalidInputError } from '../protocol/errors.ts';
import { withProgress } from '../protocol/progress.ts';
import type { Command } from './command.ts';

const USAGE = `usage: physarum model init --out <dir> [options]

options:
  --arch qwen3              architecture (default qwen3)
  --layers <n>              transformer blocks (default 2)
  --hidden <n>              hidden size (default 64)
  --heads <n>, --kv-heads <n>, --intermediate <n>, --context <n>
  --tokenizer bytes|qwen3   byte-level vocabulary (259 ids, fast) or the real Qwen3 one (default bytes)
  --seed <n>                init seed (default 0)
  --init-std <x>            init std (default 0.02)
  --gguf-dtype f32|f16      GGUF matrix type (default f32)`;

const INT_FLAGS = ['layers', 'hidden', 'heads', 'kv-heads', 'intermediate', 'context', 'seed'] as const;

export function parseInitArgs(argv: string[]): TinyModelOptions {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' }, arch: { type: 'string' }, tokenizer: { type: 'string' }, 'init-std': { type: 'string' },
        'gguf-dtype': { type: 'string' }, ...Object.fromEntries(INT_FLAGS.map((f) => [f, { type: 'string' as const }])),
      },
      strict: true,
    }).values as Record<string, string | undefined>;
  } catch (error) {
    throw new InvalidInputError(`${(error as Error).message}\n${USAGE}`);
  }
  if (!values.out) throw new InvalidInputError(`--out <dir> is required\n${USAGE}`);
  if (values.arch !== undefined && values.arch !== 'qwen3') throw new InvalidInputError(`--arch must be qwen3, got '${values.arch}'`);
  if (values.tokenizer !== undefined && values.tokenizer !== 'bytes' && values.tokenizer !== 'qwen3')
    throw new InvalidInputError(`--tokenizer must be bytes or qwen3, got '${values.tokenizer}'`);
  if (values['gguf-dtype'] !== undefined && values['gguf-dtype'] !== 'f32' && values['gguf-dtype'] !== 'f16')
    throw new InvalidInputError(`--gguf-dtype must be f32 or f16, got '${values['gguf-dtype']}'`);
  const ints: Record<string, number> = {};
  for (const flag of INT_FLAGS) {
    const raw = values[flag];
    if (raw === undefined) continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < (flag === 'seed' ? 0 : 1)) throw new InvalidInputError(`--${flag} must be a ${flag === 'seed' ? 'non-negative' : 'positive'} integer, got '${raw}'`);
    ints[flag] = n;
  }
  const initStd = values['init-std'] === undefined ? undefined : Number(values['init-std']);
  if (initStd !== undefined && !(initStd > 0)) throw new InvalidInputError(`--init-std must be a positive number, got '${values['init-std']}'`);
  return {
    out: values.out,
    arch: 'qwen3',
    ...(values.tokenizer ? { tokenizer: values.tokenizer as 'bytes' | 'qwen3' } : {}),
    ...(values['gguf-dtype'] ? { ggufDtype: values['gguf-dtype'] as 'f32' | 'f16' } : {}),
    ...(initStd !== undefined ? { initStd } : {}),
    ...(ints.layers !== undefined ? { layers: ints.layers } : {}),
    ...(ints.hidden !== undefined ? { hidden: ints.hidden } : {}),
    ...(ints.heads !== undefined ? { heads: ints.heads } : {}),
    ...(ints['kv-heads'] !== undefined ? { kvHeads: ints['kv-heads'] } : {}),
    ...(ints.intermediate !== undefined ? { intermediate: ints.intermediate } : {}),
    ...(ints.context !== undefined ? { context: ints.context } : {}),
    ...(ints.seed !== undefined ? { seed: ints.seed } : {}),
  };
}

export const command: Command = {
  summary: 'make a tiny random model (HF checkpoint + GGUF), no downloads',
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === '--help' || sub === '-h' || sub === undefined) {
      console.log(USAGE);
      return sub === undefined ? 1 : 0;
    }
    if (sub === 'init' && (rest.includes('--help') || rest.includes('-h'))) {
      console.log(USAGE);
      return 0;
    }
    if (sub !== 'init') throw new InvalidInputError(`unknown model subcommand '${sub}'\n${USAGE}`);
    const options = parseInitArgs(rest);
    const model = await withProgress(process.stderr, 'model init', () => initTinyModel(options), { doneText: () => 'done' });
    console.log(`physarum model: wrote ${model.dir} (HF checkpoint) and ${model.gguf}`);
    return 0;
  },
};
