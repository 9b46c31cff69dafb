/**
 * The shared test vectors of contract 4 (Sample) and contract 5 (trainer batch), defined once here.
 * `npx tsx tests/buffer/vectors.ts` writes them to tests/vectors/; vectors.test.ts checks the
 * committed files equal this definition, TS validates them, and trainer/tests reads them in Python.
 * Log-probs and advantages are float32-exact so both languages compare them with ==.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildTrainerBatch } from '../../src/buffer/pack.ts';
import { encodeTrainerBatch } from '../../src/buffer/wire.ts';
import { Sample, type SampleInput } from '../../src/protocol/sample.ts';

export const vectorsDir = path.resolve(import.meta.dirname, '../vectors');

const minimal = {
  schemaVersion: 1, index: 0, groupIndex: 0, rolloutId: 'r-0', prompt: 'What is 2+2?',
  tokens: [11, 12, 13, 14, 15, 4, 151645], responseLength: 2, response: '4', lossMask: [1, 1],
  rolloutLogProbs: [-0.5, -0.0625], reward: 1, status: 'completed', weightVersions: ['0'],
  spans: [{ kind: 'prompt', start: 0, end: 5, turn: 0 }, { kind: 'sampled', start: 5, end: 7, turn: 0, weightVersion: '0' }],
  turns: 1,
};

const multiTurn = {
  schemaVersion: 1, index: 17, groupIndex: 4, rolloutId: 'r-17', forkIndex: 0, agent: 'policy',
  prompt: [
    { role: 'system', content: 'You can run bash.' },
    { role: 'user', content: 'List the files.' },
  ],
  label: { expected: ['a.txt'] },
  tokens: [1, 2, 3, 4, 50, 51, 52, 60, 61, 62, 63, 70, 71],
  responseLength: 9,
  response: 'ls\na.txt\ndone',
  lossMask: [1, 1, 1, 0, 0, 0, 0, 1, 1],
  rolloutLogProbs: [-0.25, -1.5, -0.125, 0, 0, 0, 0, -2, -0.75],
  reward: 0.75,
  rewards: { correct: 1, format: 0.5, turns_used: 2 },
  status: 'truncated',
  statusReason: 'max_new_tokens reached on turn 2',
  weightVersions: ['3', '4'],
  spans: [
    { kind: 'prompt', start: 0, end: 4, turn: 0 },
    { kind: 'sampled', start: 4, end: 7, turn: 0, weightVersion: '3' },
    { kind: 'tool', start: 7, end: 10, turn: 0, toolName: 'bash' },
    { kind: 'scaffold', start: 10, end: 11, turn: 1 },
    { kind: 'sampled', start: 11, end: 13, turn: 1, weightVersion: '4' },
  ],
  turns: 2,
  metadata: { task: 'ls', tools: [{ name: 'bash' }], nested: { depth: [1, 2] } },
};

const envError = {
  ...minimal, index: 3, rolloutId: 'r-3', tokens: [11, 12, 13], responseLength: 0, response: '', lossMask: [], rolloutLogProbs: [],
  reward: null, status: 'env_error', statusReason: 'container exited 137', weightVersions: [], spans: [{ kind: 'prompt', start: 0, end: 3, turn: 0 }], turns: 0,
};

const forkAgent = { ...minimal, index: 9, rolloutId: 'episode-2', forkIndex: 1, agent: 'critic', reward: -0.5, status: 'tool_timeout' };

export const sampleVectors: Record<string, { description: string; input: unknown; error?: string }> = {
  'sample-minimal': { description: 'single turn; forkIndex, agent, rewards and metadata take their defaults', input: minimal },
  'sample-multi-turn': { description: 'chat prompt, tool and scaffold spans, two weight versions, rubric rewards', input: multiTurn },
  'sample-env-error': { description: 'an infrastructure failure: reward null, empty response', input: envError },
  'sample-fork-agent': { description: 'second fork of a multi-agent episode', input: forkAgent },
  'sample-invalid-mask-length': { description: 'lossMask shorter than responseLength', input: { ...minimal, lossMask: [1] }, error: 'lossMask' },
  'sample-invalid-logprobs-length': { description: 'rolloutLogProbs longer than responseLength', input: { ...minimal, rolloutLogProbs: [-1, -1, -1] }, error: 'rolloutLogProbs' },
  'sample-invalid-status': { description: 'status outside the enum', input: { ...minimal, status: 'failed' }, error: 'status' },
  'sample-invalid-token': { description: 'a negative token id', input: { ...minimal, tokens: [11, -12, 13, 14, 15, 4, 151645] }, error: 'tokens' },
  'sample-invalid-span': { description: 'a span past the end of tokens', input: { ...minimal, spans: [{ kind: 'prompt', start: 0, end: 9, turn: 0 }] }, error: 'span' },
  'sample-invalid-schema-version': { description: 'unknown schema version', input: { ...minimal, schemaVersion: 2 }, error: 'schemaVersion' },
  'sample-invalid-response-length': { description: 'responseLength beyond tokens', input: { ...minimal, responseLength: 8, lossMask: Array(8).fill(1), rolloutLogProbs: Array(8).fill(-1) }, error: 'responseLength' },
  'sample-invalid-reward': { description: 'reward must be a number or null', input: { ...minimal, reward: '1' }, error: 'reward' },
};

/** The JSON text of a sample vector: valid ones carry `parsed` (defaults applied) as TS produces it. */
export function sampleVectorJson(name: string): string {
  const v = sampleVectors[name]!;
  const out: Record<string, unknown> = { description: v.description, valid: v.error === undefined, input: v.input };
  if (v.error === undefined) out.parsed = Sample.parse(v.input);
  else out.error = v.error;
  return `${JSON.stringify(out, null, 2)}\n`;
}

const batchSample = (index: number, promptTokens: number, responseTokens: number, groupIndex: number): SampleInput => ({
  schemaVersion: 1, index, groupIndex, rolloutId: `b-${index}`, prompt: `p${index}`,
  tokens: Array.from({ length: promptTokens + responseTokens }, (_, k) => 1000 * index + k),
  responseLength: responseTokens, response: '',
  lossMask: Array.from({ length: responseTokens }, (_, k) => (k === 1 ? 0 : 1)),
  rolloutLogProbs: Array.from({ length: responseTokens }, (_, k) => (k === 1 ? 0 : -0.25 * (k + 1))),
  reward: 1, status: 'completed', weightVersions: ['1'], spans: [], turns: 1,
});

export const batchVectors = {
  'batch-small': {
    description: 'five samples, one longer than the budget, two ranks',
    samples: [[3, 4, 2], [5, 3, 0], [2, 2, 1], [9, 3, 1], [1, 1, 0]] as const,
    advantages: [0.5, -0.25, 1.5, -1, 0],
    options: { maxTokensPerGpu: 10, dpSize: 2, step: 3 },
  },
  'batch-padded': {
    description: 'one sample, three ranks: two empty micro-batches',
    samples: [[4, 2, 7]] as const,
    advantages: [0.125],
    options: { maxTokensPerGpu: 64, dpSize: 3, step: 0 },
  },
};

export function batchVector(name: keyof typeof batchVectors): { frame: Uint8Array; expected: string } {
  const v = batchVectors[name];
  const items = v.samples.map(([p, r, g], i) => ({ sample: Sample.parse(batchSample(i, p, r, g)), advantage: v.advantages[i]! }));
  const batch = buildTrainerBatch(items, v.options);
  const expected = {
    description: v.description, step: batch.step, dpSize: batch.dpSize, maxTokensPerGpu: batch.maxTokensPerGpu,
    ranks: batch.ranks.map((rank) =>
      rank.map((mb) => {
        const ss = mb.samples.map((s) => s.sample);
        const cu = [0];
        for (const s of ss) cu.push(cu.at(-1)! + s.tokens.length);
        return {
          rolloutIds: ss.map((s) => s.rolloutId), tokens: ss.flatMap((s) => s.tokens), cuSeqlens: cu,
          promptLengths: ss.map((s) => s.tokens.length - s.responseLength), responseLengths: ss.map((s) => s.responseLength),
          lossMask: ss.flatMap((s) => s.lossMask), rolloutLogProbs: ss.flatMap((s) => s.rolloutLogProbs),
          advantages: mb.samples.map((s) => s.advantage), groupIndexes: ss.map((s) => s.groupIndex), sampleIndexes: ss.map((s) => s.index),
        };
      }),
    ),
  };
  return { frame: encodeTrainerBatch(batch), expected: `${JSON.stringify(expected, null, 2)}\n` };
}

if (process.argv[1] === import.meta.filename) {
  for (const name of Object.keys(sampleVectors)) writeFileSync(path.join(vectorsDir, `${name}.json`), sampleVectorJson(name));
  for (const name of Object.keys(batchVectors) as Array<keyof typeof batchVectors>) {
    const { frame, expected } = batchVector(name);
    writeFileSync(path.join(vectorsDir, `${name}.bin`), frame);
    writeFileSync(path.join(vectorsDir, `${name}.json`), expected);
  }
  console.log(`wrote vectors to ${vectorsDir}`);
}
