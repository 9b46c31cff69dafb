// The project's WeightSync (pause → flush → update_weights_from_disk → continue) driving two
// embedded engines, as the CPU training loop does after every step.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/engine/embedded/index.ts';
import { SglangClient } from '../../src/engine/client/sglang-client.ts';
import type { GenerateResponse } from '../../src/protocol/sglang-types.ts';
import { WeightSync } from '../../src/engine/fleet/weight-sync.ts';
import { bytesModel } from './tiny-models.ts';

let servers: EmbeddedServer[] = [];
let ggufs: string[] = [];

beforeAll(async () => {
  ggufs = [(await bytesModel(1)).gguf, (await bytesModel(2)).gguf];
  servers = await Promise.all([0, 1].map(() => startEmbeddedServer({ modelPath: ggufs[0]!, sequences: 2, contextSize: 4096 })));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(check()).toBe(true);
}

describe('WeightSync over embedded engines', () => {
  for (const pauseMode of ['abort', 'retract'] as const) {
    it(`${pauseMode}: every engine ends on the new weights and version; running requests end with abort`, async () => {
      const clients = servers.map((s) => new SglangClient(s.url, { retries: 0 }));
      try {
        const running = clients.map((c) => c.generate({ input_ids: [104, 105], sampling_params: { max_new_tokens: 3000, ignore_eos: true } }) as Promise<GenerateResponse>);
        await until(() => servers.every((s) => s.engine.load.running === 1));
        const sync = new WeightSync({ engines: servers.map((s) => s.url), pauseMode, flushTimeoutMs: 10_000 });
        const target = pauseMode === 'abort' ? ggufs[1]! : ggufs[0]!;
        await sync.updateFromDisk({ modelPath: target });
        for (const response of await Promise.all(running)) {
          expect(response.meta_info.finish_reason!.type).toBe('abort');
          expect(response.output_ids.length).toBeLessThan(3000);
        }
        for (const [i, client] of clients.entries()) {
          const info = await client.modelInfo();
          expect(info.weight_version).toBe(sync.version);
          expect(info.model_path).toBe(target);
          const after = (await client.generate({ input_ids: [104], sampling_params: { max_new_tokens: 2 } })) as GenerateResponse;
          expect(after.meta_info.weight_version).toBe(sync.version);
          expect(servers[i]!.engine.isPaused).toBe(false);
        }
      } finally {
        await Promise.all(clients.map((c) => c.close()));
      }
    });
  }

  it('updates under a steady stream of requests: nothing is lost or aborted, versions only move forward', async () => {
    const client = new SglangClient(servers[0]!.url, { retries: 0 });
    try {
      let stop = false;
      const seen: string[][] = [];
      const workers = Array.from({ length: 5 }, async (_, w) => {
        const versions: string[] = [];
        while (!stop) {
          const out = (await client.generate({ input_ids: [104 + w], sampling_params: { max_new_tokens: 20, ignore_eos: true } })) as GenerateResponse;
          expect(out.meta_info.finish_reason).toEqual({ type: 'length', length: 20 });
          versions.push(out.meta_info.weight_version!);
        }
        seen.push(versions);
      });
      for (const [i, version] of ['s1', 's2', 's3'].entries()) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        await client.updateWeightsFromDisk({ modelPath: ggufs[i % 2]!, weightVersion: version });
      }
      stop = true;
      await Promise.all(workers);
      const order = (v: string): number => ['s1', 's2', 's3'].indexOf(v);
      for (const versions of seen) {
        const ranks = versions.map(order);
        expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
      }
      expect(seen.flat()).toContain('s3');
    } finally {
      await client.close();
    }
  });
});
