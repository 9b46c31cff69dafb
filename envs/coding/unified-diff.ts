/**
 * A strict applier for git-style unified diffs over an in-memory tree (path -> text), forward or
 * reversed. Every hunk must match exactly where its header says (after earlier hunks of the same
 * file): the patches here are computed from the very trees they apply to, so fuzz would only hide a
 * mismatch. Handles modified, created and deleted text files and "\ No newline at end of file".
 */
import { InvalidInputError } from '../../src/index.ts';

export type Tree = Record<string, string>;

interface Hunk {
  oldStart: number;
  newStart: number;
  oldLines: string[];
  newLines: string[];
}

interface FilePatch {
  oldPath: string | null; // null: /dev/null
  newPath: string | null;
  hunks: Hunk[];
}

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

function pathOf(header: string, prefix: string): string | null {
  const raw = header.slice(4).split('\t')[0]!.trimEnd();
  if (raw === '/dev/null') return null;
  if (raw.startsWith('"')) throw new InvalidInputError(`diff: quoted path ${raw} is not supported`);
  return raw.startsWith(prefix) ? raw.slice(prefix.length) : raw;
}

/** Splits text into lines that keep their '\n' (the last one may lack it). */
function splitLines(text: string): string[] {
  const lines = text.split(/(?<=\n)/);
  return lines.length === 1 && lines[0] === '' ? [] : lines;
}

export function parseUnifiedDiff(diff: string, label = 'diff'): FilePatch[] {
  const lines = diff.split('\n');
  const files: FilePatch[] = [];
  let i = 0;
  while (i < lines.length) {
    if (!lines[i]!.startsWith('--- ')) {
      i++;
      continue;
    }
    if (!lines[i + 1]?.startsWith('+++ ')) throw new InvalidInputError(`${label}: line ${i + 2}: expected '+++ ' after '---'`);
    const file: FilePatch = { oldPath: pathOf(lines[i]!, 'a/'), newPath: pathOf(lines[i + 1]!, 'b/'), hunks: [] };
    i += 2;
    while (i < lines.length && lines[i]!.startsWith('@@')) {
      const match = HUNK_HEADER.exec(lines[i]!);
      if (!match) throw new InvalidInputError(`${label}: line ${i + 1}: bad hunk header '${lines[i]}'`);
      let oldLeft = match[2] === undefined ? 1 : Number(match[2]);
      let newLeft = match[4] === undefined ? 1 : Number(match[4]);
      const hunk: Hunk = { oldStart: Number(match[1]), newStart: Number(match[3]), oldLines: [], newLines: [] };
      i++;
      while (oldLeft > 0 || newLeft > 0) {
        const line = lines[i];
        if (line === undefined) throw new InvalidInputError(`${label}: hunk at line ${i} ends early`);
        const text = line.slice(1) + (lines[i + 1]?.startsWith('\\') ? '' : '\n');
        if (line.startsWith(' ') || line === '') {
          hunk.oldLines.push(line === '' ? '\n' : text);
          hunk.newLines.push(line === '' ? '\n' : text);
          oldLeft--;
          newLeft--;
        } else if (line.startsWith('-')) {
          hunk.oldLines.push(text);
          oldLeft--;
        } else if (line.startsWith('+')) {
          hunk.newLines.push(text);
          newLeft--;
        } else throw new InvalidInputError(`${label}: line ${i + 1}: unexpected '${line.slice(0, 40)}' inside a hunk`);
        i++;
        if (lines[i]?.startsWith('\\')) i++;
      }
      if (oldLeft < 0 || newLeft < 0) throw new InvalidInputError(`${label}: hunk ending at line ${i} has more lines than its header says`);
      file.hunks.push(hunk);
    }
    files.push(file);
  }
  return files;
}

function reversed(file: FilePatch): FilePatch {
  const hunks = file.hunks.map((h) => ({ oldStart: h.newStart, newStart: h.oldStart, oldLines: h.newLines, newLines: h.oldLines }));
  return { oldPath: file.newPath, newPath: file.oldPath, hunks };
}

function applyHunks(path: string, original: string, hunks: Hunk[], label: string): string {
  const lines = splitLines(original);
  const out: string[] = [];
  let position = 0;
  hunks.forEach((hunk, index) => {
    // A hunk that only adds lines names the line it follows; one that removes names its first line.
    const start = hunk.oldLines.length === 0 ? hunk.oldStart : hunk.oldStart - 1;
    const actual = lines.slice(start, start + hunk.oldLines.length);
    if (start < position || actual.join('') !== hunk.oldLines.join(''))
      throw new InvalidInputError(`${label}: hunk ${index + 1} of ${path} does not match the file at line ${start + 1}`);
    out.push(...lines.slice(position, start), ...hunk.newLines);
    position = start + hunk.oldLines.length;
  });
  out.push(...lines.slice(position));
  return out.join('');
}

/** The tree after applying `diff` (or undoing it, with `reverse`); the input tree is not modified. */
export function applyUnifiedDiff(tree: Tree, diff: string, options: { reverse?: boolean; label?: string } = {}): Tree {
  const label = options.label ?? 'diff';
  const result: Tree = { ...tree };
  for (const parsed of parseUnifiedDiff(diff, label)) {
    const file = options.reverse ? reversed(parsed) : parsed;
    const path = file.oldPath ?? file.newPath!;
    const before = file.oldPath === null ? '' : result[file.oldPath];
    if (before === undefined) throw new InvalidInputError(`${label}: patches ${file.oldPath}, which is not in the tree`);
    if (file.oldPath === null && result[path] !== undefined) throw new InvalidInputError(`${label}: creates ${path}, which already exists`);
    const after = applyHunks(path, before, file.hunks, label);
    if (file.oldPath !== null) delete result[file.oldPath];
    if (file.newPath !== null) result[file.newPath] = after;
  }
  return result;
}

/** Every path a diff reads or writes (both sides of renames), in order. */
export function diffPaths(diff: string): string[] {
  const paths = parseUnifiedDiff(diff).flatMap((f) => [f.oldPath, f.newPath]);
  return [...new Set(paths.filter((p): p is string => p !== null))];
}
