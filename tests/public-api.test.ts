// The public seam: 'physarum' names what an env author or a run uses; internals and generic
// names stay out of the root; test doubles are in 'physarum/test'.
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.ts';
import * as testing from '../src/testing.ts';

describe('public seam', () => {
  it('keeps internals and generic names out of the root', () => {
    for (const name of ['SseWriter', 'formatSseEvent', 'parseSseStream', 'mulberry32', 'seededPermutation', 'executeToolCalls', 'validateGenerateRequest', 'view', 'find', 'grep', 'create', 'not', 'bash', 'python', 'submit', 'startScriptedServer', 'ScriptedPolicy'])
      expect(Object.keys(api), name).not.toContain(name);
  });

  it('namespaces the standard tools under `tools`, and keeps the named factories at the root', () => {
    for (const name of ['bash', 'python', 'view', 'create', 'strReplace', 'find', 'grep', 'submit']) expect(typeof api.tools[name as keyof typeof api.tools], name).toBe('object');
    expect(Object.keys(api.codingTools()).sort()).toEqual(['bash', 'create', 'find', 'grep', 'python', 'str_replace', 'submit', 'view']);
    expect(typeof api.stopUnless).toBe('function');
  });

  it("serves the test doubles from 'physarum/test'", () => {
    expect(typeof testing.startScriptedServer).toBe('function');
    expect(testing.ScriptedPolicy.parse({ episodes: [{ task: 'x', turns: ['hi'] }] }).episodes).toHaveLength(1);
  });
});
