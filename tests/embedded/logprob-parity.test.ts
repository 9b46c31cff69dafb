// The log-prob the engine reports for each sampled token must be the token's probability under
// the full softmax at the request's temperature: checked against a float64 forward of the same
// HF weights in transformers (f32 GGUF weights and an f32 KV cache: f16 KV alone costs ~2e-3).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedEngine } from '../../src/engine/embedded/index.ts';
import { runTrainerModule } from '../../src/engine/embedded/tiny-model.ts';
import { bytesModel } from './tiny-models.ts';

let engine: EmbeddedEngine;
let modelDir: string;

beforeAll(async () => {
  const model = await bytesModel();
  modelDir = model.dir;
  engine = await EmbeddedEngine.start({ modelPath: model.gguf, sequences: 2, contextSize: 256, kvCacheType: 'F32' });
});
afterAll(() => engine?.close());

interface Case {
  prompt: string;
  temperature: number;
  topK?: number;
  outputIds: number[];
  logprobs: number[];
}

/** Reference log-probs; `prefixes` gives the input ids of the last cases instead of their prompt text. */
async function reference(cases: Case[], prefixes: number[][] = []): Promise<number[][]> {
  const firstPrefixed = cases.length - prefixes.length;
  const input = cases
    .map((c, i) => JSON.stringify({ input_ids: i >= firstPrefixed ? prefixes[i - firstPrefixed] : engine.tokenize(c.prompt), output_ids: c.outputIds, temperature: c.temperature }))
    .join('\n');
  const stdout = await runTrainerModule('reference_logprobs', ['--model', modelDir], { input });
  return stdout.trim().split('\n').map((line) => (JSON.parse(line) as { logprobs: number[] }).logprobs);
}

describe('log-prob parity with a float64 HF forward', () => {
  it('matches within 1e-3 at temperatures 1, 0.7, 1.5 and greedy, over many tokens', async () => {
    const cases: Case[] = [];
    const settings: Array<[string, number]> = [['hello there', 1], ['<|im_start|>user\nhi<|im_end|>\n', 0.7], ['abc', 1.5], ['The cat', 0]];
    for (const [prompt, temperature] of settings) {
      const result = await engine.generate({
        rid: `parity-${temperature}`, inputIds: engine.tokenize(prompt),
        params: { max_new_tokens: 24, temperature, sampling_seed: 11, ignore_eos: true },
      });
      expect(result.outputIds).toHaveLength(24);
      cases.push({ prompt, temperature, outputIds: [...result.outputIds], logprobs: [...result.logprobs] });
    }
    // The prompt's own log-probs (logprob_start_len 2): every prompt token after the start.
    const prompt = engine.tokenize('<|im_start|>user\nhello<|im_end|>\n');
    const withInput = await engine.generate({ rid: 'parity-input', inputIds: prompt, inputLogprobStart: 2, params: { max_new_tokens: 1, temperature: 1, sampling_seed: 2 } });
    expect(withInput.input!.logprobs[0]).toBeNull();
    expect(withInput.input!.logprobs).toHaveLength(prompt.length - 2);
    const promptCase: Case = { prompt: '', temperature: 1, outputIds: prompt.slice(3), logprobs: withInput.input!.logprobs.slice(1) as number[] };
    const expected = await reference([...cases, promptCase], [prompt.slice(0, 3)]);
    cases.push(promptCase);
    let worst = 0;
    cases.forEach((c, i) => {
      c.logprobs.forEach((lp, k) => {
        worst = Math.max(worst, Math.abs(lp - expected[i]![k]!));
      });
    });
    expect(worst).toBeLessThan(1e-3);
    // The check has teeth: the distributions are far from uniform, and temperature matters.
    const uniform = -Math.log(259);
    expect(cases.flatMap((c) => c.logprobs).some((lp) => Math.abs(lp - uniform) > 0.5)).toBe(true);
  });

  it('reports the temperature-scaled distribution, not the raw one', async () => {
    const inputIds = engine.tokenize('temperature');
    const hot = await engine.generate({ rid: 't-hot', inputIds, params: { max_new_tokens: 1, temperature: 2, sampling_seed: 5 } });
    const [raw, scaled] = await reference([
      { prompt: 'temperature', temperature: 1, outputIds: [...hot.outputIds], logprobs: [] },
      { prompt: 'temperature', temperature: 2, outputIds: [...hot.outputIds], logprobs: [] },
    ]);
    expect(Math.abs(hot.logprobs[0]! - scaled![0]!)).toBeLessThan(1e-3);
    expect(Math.abs(hot.logprobs[0]! - raw![0]!)).toBeGreaterThan(1e-2);
  });

  it('the same seed replays the same tokens and log-probs; another seed does not', async () => {
    const inputIds = engine.tokenize('seed test');
    const params = { max_new_tokens: 16, temperature: 1, ignore_eos: true };
    const a = await engine.generate({ rid: 's1', inputIds, params: { ...params, sampling_seed: 42 } });
    const b = await engine.generate({ rid: 's2', inputIds, params: { ...params, sampling_seed: 42 } });
    const c = await engine.generate({ rid: 's3', inputIds, params: { ...params, sampling_seed: 43 } });
    expect(b.outputIds).toEqual(a.outputIds);
    // Log-probs may differ in the last bits: the replay reuses the cached prompt, so batch shapes differ.
    b.logprobs.forEach((lp, k) => expect(lp).toBeCloseTo(a.logprobs[k]!, 5));
    expect(c.outputIds).not.toEqual(a.outputIds);
    // The RNG advances per token: a sampled run is not one draw repeated.
    expect(new Set(a.outputIds).size).toBeGreaterThan(1);
  });
});
