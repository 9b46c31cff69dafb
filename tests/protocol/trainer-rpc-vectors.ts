/**
 * Shared vectors of the trainer worker's RPC records (contract 5), defined once here.
 * `npx tsx tests/protocol/trainer-rpc-vectors.ts` writes tests/vectors/trainer-rpc.json;
 * trainer-rpc.test.ts checks the file is current and zod agrees; trainer/tests/test_rpc_records.py
 * checks the Python mirror (worker/records.py) gives the same normalised records and rejections.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { REQUEST_RECORDS } from '../../src/protocol/trainer-rpc.ts';

export const rpcVectorsPath = path.resolve(import.meta.dirname, '../vectors/trainer-rpc.json');

type RecordName = keyof typeof REQUEST_RECORDS;
interface Case { record: RecordName; description: string; input: unknown; error?: string }

const tinyInit = { backend: 'torch_hf', model: { tiny: { layers: 1, hidden: 16, seed: 3 } }, seed: 0 };

export const rpcCases: Case[] = [
  { record: 'WorkerInitConfig', description: 'tiny model: every default filled', input: tinyInit },
  {
    record: 'WorkerInitConfig', description: 'a path model with LoRA, reference, schedule and loss',
    input: {
      backend: 'torch_hf', model: { path: '/models/qwen3' }, device: 'cpu', dtype: 'float32', seed: 7,
      optimizer: { lr: 1e-4, betas: [0.9, 0.95], clipGrad: null }, scheduler: { warmupSteps: 2, decaySteps: 100, minLr: 1e-6 },
      loss: { policyLoss: 'gspo', kl: { coef: 0.01 } }, reference: 'initial',
      lora: { r: 8, alpha: 16, targetModules: ['q_proj', 'v_proj'] }, parallelism: { dp: 2 },
      microBatchTokens: 2048, memoryBudgetTokens: 8192, activationCheckpointing: true, threads: 1, megatron: { 'recompute-granularity': 'full' },
    },
  },
  { record: 'WorkerInitConfig', description: 'unknown field', input: { ...tinyInit, learningRate: 1 }, error: 'learningRate' },
  { record: 'WorkerInitConfig', description: 'backend outside the enum', input: { ...tinyInit, backend: 'fsdp' }, error: 'backend' },
  { record: 'WorkerInitConfig', description: 'missing seed', input: { backend: 'torch_hf', model: { path: 'x' } }, error: 'seed' },
  { record: 'WorkerInitConfig', description: 'negative learning rate', input: { ...tinyInit, optimizer: { lr: -1 } }, error: 'optimizer.lr' },
  { record: 'WorkerInitConfig', description: 'model neither path nor tiny', input: { ...tinyInit, model: { hub: 'Qwen/Qwen3' } }, error: 'model' },
  { record: 'WorkerInitConfig', description: 'zero torch threads', input: { ...tinyInit, threads: 0 }, error: 'threads' },
  { record: 'WorkerInitConfig', description: 'LoRA without target modules', input: { ...tinyInit, lora: { r: 4, alpha: 8, targetModules: [] } }, error: 'lora.targetModules' },
  { record: 'LossConfig', description: 'all defaults', input: {} },
  {
    record: 'LossConfig', description: 'clip-higher, dual clip, TIS, MIS, KL, entropy, Dr.GRPO',
    input: {
      policyLoss: 'ppo', epsClip: 0.2, epsClipHigh: 0.28, dualClipC: 3, aggregation: 'seq_mean_token_sum_norm', aggregationConstant: 1024,
      tis: { mode: 'token', clipHigh: 5 }, mis: { mode: 'sequence', low: 0.25 }, kl: { coef: 0.001, type: 'k1' }, entropyCoef: 0.01, temperature: 0.7,
    },
  },
  { record: 'LossConfig', description: 'unknown policy loss', input: { policyLoss: 'dpo' }, error: 'policyLoss' },
  { record: 'LossConfig', description: 'dual clip constant must exceed 1', input: { dualClipC: 0.5 }, error: 'dualClipC' },
  { record: 'LossConfig', description: 'unknown KL type', input: { kl: { type: 'k4' } }, error: 'kl.type' },
  { record: 'LossConfig', description: 'unknown nested field', input: { tis: { mode: 'token', clip: 2 } }, error: 'tis.clip' },
  { record: 'ComputeLogprobsArgs', description: 'defaults to the actor', input: {} },
  { record: 'ComputeLogprobsArgs', description: 'reference at a temperature', input: { model: 'reference', temperature: 0.8 } },
  { record: 'ComputeLogprobsArgs', description: 'unknown model', input: { model: 'critic' }, error: 'model' },
  { record: 'TrainStepArgs', description: 'a step with a partial loss override', input: { step: 3, loss: { policyLoss: 'cispo' } } },
  { record: 'TrainStepArgs', description: 'fractional step', input: { step: 1.5 }, error: 'step' },
  { record: 'TrainStepArgs', description: 'zero temperature', input: { step: 1, temperature: 0 }, error: 'temperature' },
  { record: 'SaveArgs', description: 'cursor defaults to null', input: { dir: '/ckpt/step-3', step: 3 } },
  { record: 'SaveArgs', description: 'any JSON cursor', input: { dir: '/ckpt', step: 0, cursor: { consumed: [1, 2], epoch: 0 } } },
  { record: 'SaveArgs', description: 'empty dir', input: { dir: '', step: 1 }, error: 'dir' },
  { record: 'LoadArgs', description: 'a dir', input: { dir: '/ckpt' } },
  { record: 'ExportWeightsArgs', description: 'gguf', input: { format: 'gguf', dir: '/w', version: 2 } },
  { record: 'ExportWeightsArgs', description: 'unknown format', input: { format: 'onnx', dir: '/w', version: 2 }, error: 'format' },
];

export function rpcVectorsJson(): string {
  const cases = rpcCases.map((c) => {
    const out: Record<string, unknown> = { record: c.record, description: c.description, valid: c.error === undefined, input: c.input };
    if (c.error === undefined) out.parsed = REQUEST_RECORDS[c.record].parse(c.input);
    else out.error = c.error;
    return out;
  });
  return `${JSON.stringify({ cases }, null, 2)}\n`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  writeFileSync(rpcVectorsPath, rpcVectorsJson());
  console.log(`wrote ${rpcVectorsPath}`);
}
