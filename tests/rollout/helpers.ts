// Test helpers for the rollout manager: hand-built samples and small generate hooks.
import { Sample, SAMPLE_SCHEMA_VERSION, type SampleInput, type SampleStatus } from '../../src/protocol/sample.ts';
import type { PromptRecord } from '../../src/rollout/prompt-record.ts';

export function makeSample(overrides: Partial<SampleInput> & { responseTokens?: number[]; promptTokens?: number[] } = {}): Sample {
  const { responseTokens: response = [5, 6], promptTokens = [1, 2, 3], ...rest } = overrides;
  return Sample.parse({
    schemaVersion: SAMPLE_SCHEMA_VERSION,
    index: 0,
    groupIndex: 0,
    rolloutId: 'r',
    prompt: 'p',
    tokens: [...promptTokens, ...response],
    responseLength: response.length,
    response: response.join(' '),
    lossMask: response.map(() => 1),
    rolloutLogProbs: response.map(() => -0.5),
    reward: null,
    status: 'completed' satisfies SampleStatus,
    weightVersions: ['v0'],
    spans: [],
    turns: 1,
    ...rest,
  });
}

export function records(count: number): PromptRecord[] {
  return Array.from({ length: count }, (_, i) => ({ id: `p${i}`, prompt: `prompt ${i}`, label: i, metadata: {} }));
}

/** Resolves after the current macrotask queue drains, so concurrent groups get to run. */
export function tick(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The identity fields a generate hook must stamp on its samples. */
export function slotIds(context: { index: number; groupIndex: number; rolloutId: string }): { index: number; groupIndex: number; rolloutId: string } {
  return { index: context.index, groupIndex: context.groupIndex, rolloutId: context.rolloutId };
}
