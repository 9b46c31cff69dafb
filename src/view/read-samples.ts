/**
 * Reads samples for the viewer from what the project writes: a samples jsonl (`physarum rollout
 * --out`) or a step dump (`dumpStep`). Every sample is checked against the protocol schema, and a
 * bad one is one line naming the file, where in it, and the field, so a broken record is found
 * before anyone stares at a page built from it.
 */
import { readFileSync } from 'node:fs';
import { STEP_DUMP_FORMAT } from '../buffer/debug.ts';
import { InvalidInputError } from '../protocol/errors.ts';
import { checkSample } from '../protocol/sample-check.ts';
import type { Sample } from '../protocol/sample.ts';

export interface ReadSamples {
  kind: 'jsonl' | 'step-dump';
  samples: Sample[];
  /** The dump's step, for a step dump. */
  step?: number;
}

function check(value: unknown, where: string): Sample {
  const result = checkSample(value);
  if (!result.ok) throw new InvalidInputError(`${where}: invalid sample: ${result.problem}`);
  return result.sample;
}

function readDump(file: string, raw: Record<string, unknown>): ReadSamples {
  if (raw.format !== STEP_DUMP_FORMAT || raw.version !== 1)
    throw new InvalidInputError(`${file} is neither a samples jsonl nor a physarum step dump (format ${JSON.stringify(raw.format)}, version ${JSON.stringify(raw.version)})`);
  if (!Array.isArray(raw.samples)) throw new InvalidInputError(`${file}: step dump has no samples array`);
  const samples = raw.samples.map((entry: unknown, i) => {
    const sample = entry !== null && typeof entry === 'object' ? (entry as Record<string, unknown>).sample : undefined;
    return check(sample, `${file}: samples[${i}].sample`);
  });
  return { kind: 'step-dump', samples, ...(typeof raw.step === 'number' ? { step: raw.step } : {}) };
}

export function readSamplesFile(file: string): ReadSamples {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InvalidInputError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
  const lines = text.split('\n');
  const firstLine = lines.findIndex((l) => l.trim() !== '');
  // A step dump is one JSON object with a `format` field; a sample never has one.
  if (firstLine >= 0 && lines.slice(firstLine + 1).every((l) => l.trim() === '')) {
    const only = parseLine(file, lines[firstLine]!, firstLine + 1);
    if (only !== null && typeof only === 'object' && 'format' in only) return readDump(file, only as Record<string, unknown>);
  }
  const samples: Sample[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    samples.push(check(parseLine(file, line, i + 1), `${file}:${i + 1}`));
  });
  return { kind: 'jsonl', samples };
}

function parseLine(file: string, line: string, lineNumber: number): unknown {
  try {
    return JSON.parse(line);
  } catch (error) {
    throw new InvalidInputError(`${file}:${lineNumber}: not JSON: ${(error as Error).message}`, { cause: error });
  }
}
