// Builds valid Sample inputs for the buffer tests: deterministic tokens, float32-exact log-probs.
import type { SampleInput } from '../../src/protocol/sample.ts';

export interface MakeSampleOptions extends Partial<SampleInput> {
  promptTokens?: number;
  responseTokens?: number;
}

export function makeSample(index: number, options: MakeSampleOptions = {}): SampleInput {
  const { promptTokens = 6, responseTokens = 4, ...overrides } = options;
  const tokens = Array.from({ length: promptTokens + responseTokens }, (_, k) => (index * 131 + k * 7) % 151_000);
  const lossMask = Array.from({ length: responseTokens }, (_, k) => (k % 3 === 2 ? 0 : 1) as 0 | 1);
  const rolloutLogProbs = lossMask.map((m, k) => (m ? Math.fround(-0.125 * (k + 1) - index / 1024) : 0));
  return {
    schemaVersion: 1,
    index,
    groupIndex: overrides.groupIndex ?? 0,
    rolloutId: `r${index}`,
    prompt: `prompt ${index}`,
    tokens,
    responseLength: responseTokens,
    response: `response ${index}`,
    lossMask,
    rolloutLogProbs,
    reward: 1,
    status: 'completed',
    weightVersions: ['3'],
    spans: [
      { kind: 'prompt', start: 0, end: promptTokens, turn: 0 },
      { kind: 'sampled', start: promptTokens, end: promptTokens + responseTokens, turn: 0, weightVersion: '3' },
    ],
    turns: 1,
    ...overrides,
  };
}

/** A group of samples sharing groupIndex, with the given rewards (null for an excluded one). */
export function makeGroup(groupIndex: number, rewards: Array<number | null>, firstIndex = groupIndex * 100, extra: MakeSampleOptions = {}): SampleInput[] {
  return rewards.map((reward, k) => makeSample(firstIndex + k, { groupIndex, reward, ...extra }));
}
