import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { frozenToolSpecs, tool, toolSpecs, type ToolSet } from '../../src/env/tool.ts';
import { isFrozenDeep } from '../../src/chat/deep-freeze.ts';

describe('toolSpecs', () => {
  const tools: ToolSet = {
    add: tool({ description: 'Add', inputSchema: z.object({ a: z.number(), b: z.number().optional() }), execute: () => '' }),
  };

  it('renders the OpenAI function spec from the zod input schema', () => {
    expect(toolSpecs(tools)).toEqual([
      {
        type: 'function',
        function: {
          name: 'add',
          description: 'Add',
          parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a'] },
        },
      },
    ]);
  });

  it('hands out copies (the cache cannot be edited through them) and sees tools added later', () => {
    const first = toolSpecs(tools);
    first[0]!.function.description = 'changed';
    expect(toolSpecs(tools)[0]!.function.description).toBe('Add');
    tools.mul = tool({ description: 'Multiply', inputSchema: z.object({}), execute: () => '' });
    expect(toolSpecs(tools).map((s) => s.function.name)).toEqual(['add', 'mul']);
  });
});

describe('frozenToolSpecs', () => {
  it('gives one deeply frozen spec list per tool set, and toolSpecs a mutable copy of it', () => {
    const tools = {
      calc: tool({ description: 'Evaluate.', inputSchema: z.object({ expression: z.string().min(1), scale: z.number().optional() }), execute: () => 'x' }),
    };
    const frozen = frozenToolSpecs(tools);
    expect(isFrozenDeep(frozen)).toBe(true);
    expect(isFrozenDeep(frozen[0]!.function.parameters)).toBe(true);
    expect(frozenToolSpecs(tools)).toBe(frozen);
    const copy = toolSpecs(tools);
    expect(copy).toEqual(frozen);
    copy[0]!.function.description = 'changed';
    expect(frozen[0]!.function.description).toBe('Evaluate.');
  });
});
