// Every fenced block in docs/*.md whose info string is `ts example` is run as a program, from the
// repository root (so `import ... from 'physarum'` resolves to this checkout); it must exit 0.
// A block can name the folder it needs with `ts example docker` (skipped only where the docs say so).
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const docsDir = path.join(root, 'docs');
const outDir = path.join(root, '.cache', 'docs-examples');

interface Example {
  page: string;
  line: number;
  code: string;
}

export function extractExamples(page: string, markdown: string): Example[] {
  const examples: Example[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ts example\b/.test(lines[i]!)) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!);
    examples.push({ page, line: start + 1, code: body.join('\n') });
  }
  return examples;
}

const pages = readdirSync(docsDir).filter((f) => f.endsWith('.md'));
const examples = pages.flatMap((page) => extractExamples(page, readFileSync(path.join(docsDir, page), 'utf8')));

describe('docs examples', () => {
  it('finds examples to run', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  it('extracts fenced `ts example` blocks only', () => {
    const md = '```ts\nnot me\n```\n```ts example\nconst a = 1;\n```\n';
    expect(extractExamples('x.md', md)).toEqual([{ page: 'x.md', line: 4, code: 'const a = 1;' }]);
  });

  mkdirSync(outDir, { recursive: true });
  for (const ex of examples) {
    // Asynchronous on purpose: a blocked worker cannot answer vitest's RPC while an example runs.
    it(`${ex.page}:${ex.line} runs`, async () => {
      const file = path.join(outDir, `${ex.page.replace(/\.md$/, '')}-${ex.line}.ts`);
      writeFileSync(file, ex.code);
      await promisify(execFile)(path.join(root, 'node_modules/.bin/tsx'), [file], { cwd: root, timeout: 240_000 });
    });
  }
});
