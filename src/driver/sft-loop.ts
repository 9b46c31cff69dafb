/**
 * SFT through the driver: conversations become token-exact samples (sft-samples.ts) with
 * advantage 1, packed and framed like any RL batch, and trained with the worker's `sft` loss.
 * Weights reach the engines only when an eval needs them (held-out reward through the env, the
 * same measure RL reports), and the run can stop early once that reward reaches a target.
 */
import { buildTrainerBatch } from '../buffer/pack.ts';
import { encodeTrainerBatch } from '../buffer/wire.ts';
import type { Chat } from '../chat/chat-template.ts';
import { seededPermutation } from '../rollout/seeded-shuffle.ts';
import type { Checkpoints } from './checkpoints.ts';
import type { EvalResult } from './evaluate.ts';
import type { LoopResult, WeightPublisher } from './loop.ts';
import { conversationSample, type Conversation } from './sft-samples.ts';
import type { TrainerPort } from './trainer-port.ts';

export interface SftDeps {
  trainer: TrainerPort;
  weights: WeightPublisher;
  checkpoints: Checkpoints;
  chat: Chat;
  conversations: readonly Conversation[];
  evaluate?: (trainedSteps: number) => Promise<EvalResult>;
  onMetrics: (line: Record<string, number | string>) => void;
}

export interface SftSettings {
  steps: number;
  batchSize: number;
  seed: number;
  evalEvery: number;
  saveEvery: number;
  stopAtReward?: number;
  maxTokensPerGpu: number;
  templateKwargs?: Record<string, unknown>;
  stop?: AbortSignal;
}

const seconds = (since: number): number => (performance.now() - since) / 1000;

export async function runSftLoop(deps: SftDeps, settings: SftSettings, start: { step: number; weightVersion: number }): Promise<LoopResult & { reachedTarget: boolean }> {
  const n = deps.conversations.length;
  let weightVersion = start.weightVersion;
  let published = start.weightVersion;
  let savedThrough = start.step - 1;
  let reachedTarget = false;
  const orders = new Map<number, number[]>();
  const orderOf = (epoch: number): number[] => {
    let order = orders.get(epoch);
    if (!order) orders.set(epoch, (order = seededPermutation(n, settings.seed + epoch)));
    return order;
  };
  const save = async (step: number): Promise<void> => {
    await deps.checkpoints.save(deps.trainer, { version: 1, trainedStep: step, weightVersion });
    savedThrough = step;
  };
  const evaluate = async (step: number): Promise<Record<string, number> | undefined> => {
    if (!deps.evaluate) return undefined;
    if (published !== weightVersion) {
      await deps.weights.publish(weightVersion);
      published = weightVersion;
    }
    const result = await deps.evaluate(step + 1);
    deps.onMetrics({ event: 'eval', step, weight_version: weightVersion, ...result });
    if (settings.stopAtReward !== undefined && (result.heldout_reward ?? 0) >= settings.stopAtReward) reachedTarget = true;
    return result as unknown as Record<string, number>;
  };

  if (start.step === 0) await evaluate(-1);
  let k = start.step;
  for (; k < settings.steps && !reachedTarget; k++) {
    if (settings.stop?.aborted) break;
    const began = performance.now();
    // Epoch e visits the conversations in a fresh seeded order; step k takes the next batchSize.
    const samples = Array.from({ length: settings.batchSize }, (_, i) => {
      const position = k * settings.batchSize + i;
      const epoch = Math.floor(position / n);
      const index = orderOf(epoch)[position % n]!;
      const sample = conversationSample(deps.conversations[index]!, deps.chat, {
        index: position, groupIndex: position, rolloutId: `sft-${position}`, where: `conversation ${index}`,
      }, settings.templateKwargs);
      return { sample, advantage: 1 };
    });
    const frame = encodeTrainerBatch(buildTrainerBatch(samples, { maxTokensPerGpu: settings.maxTokensPerGpu, dpSize: 1, step: k }));
    const t = performance.now();
    const result = await deps.trainer.trainStep(frame, { step: k, loss: { policyLoss: 'sft' } });
    const trainSeconds = seconds(t);
    weightVersion++;
    const line: Record<string, number | string> = { step: k, mode: 'sft', weight_version: weightVersion, samples: samples.length, 'time/train': trainSeconds };
    for (const [name, value] of Object.entries(result.metrics)) line[`train/${name}`] = value;
    if ((settings.evalEvery > 0 && (k + 1) % settings.evalEvery === 0) || k === settings.steps - 1) Object.assign(line, await evaluate(k));
    if (settings.saveEvery > 0 && (k + 1) % settings.saveEvery === 0) await save(k);
    line['time/step'] = seconds(began);
    deps.onMetrics(line);
  }
  if (savedThrough < k - 1) await save(k - 1);
  if (published !== weightVersion) await deps.weights.publish(weightVersion);
  return { trainedThrough: k - 1, weightVersion, stopped: k < settings.steps && !reachedTarget, reachedTarget };
}
