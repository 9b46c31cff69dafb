/**
 * Rendering a chat template with its leading statements memoized. A render is the concatenation
 * of the outputs of the template's top-level statements, evaluated in order in one environment.
 * A leading run of statements that change nothing in that environment (no `set`, macro, call or
 * filter block) and read no clock (`strftime_now`) prints a pure function of the variables it
 * names, so its output can be kept, keyed by the values of exactly those variables, and the rest of
 * the template rendered on its own. For Qwen3 that run is the system header with the tool
 * schemas (`tool | tojson` for every tool), the same in every render of an episode and across
 * episodes that share a system prompt.
 *
 * Exactness: a variable is read only through an identifier (jinja's evaluateIdentifier), so the
 * key holds every identifier the run names; `messages` used only as `messages[<literal>]` is keyed
 * by those elements alone. Values are keyed in the shapes jinja converts them to (integers apart
 * from floats, -0 apart from 0, key order kept); a value it cannot key (a function) bypasses the
 * memo. Failures are never kept. Pinned against plain renders in tests/chat/template-memo.test.ts.
 */
import { Template } from '@huggingface/jinja';
import { LruMap } from './lru.ts';

export interface RenderMemoOptions {
  /** Most header renders kept (default 256). */
  maxEntries?: number;
  /** Most characters kept over keys and texts (default 8M). */
  maxChars?: number;
}

type AstNode = { type: string } & Record<string, unknown>;

// Statements that change the environment later statements see.
const STATEFUL = new Set(['Set', 'Macro', 'CallStatement', 'FilterStatement']);
// Globals whose value is not a function of the variables.
const NONDETERMINISTIC = new Set(['strftime_now']);

interface Reads {
  names: Set<string>;
  /** The literal indexes `messages` is read at, or 'all' where it is used any other way. */
  messages: Set<number> | 'all';
}

function isNode(value: unknown): value is AstNode {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/** What `statement` reads; undefined when it changes the environment or reads a clock. */
function readsOf(statement: AstNode, reads: Reads = { names: new Set(), messages: new Set() }): Reads | undefined {
  // (Adds to `reads` as it goes: callers pass their own only for statements known to be pure.)
  let pure = true;
  const visit = (value: unknown, parent: AstNode | undefined): void => {
    if (!pure || typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) {
      for (const item of value) visit(item, parent);
      return;
    }
    if (value instanceof Map) {
      for (const [k, v] of value) {
        visit(k, parent);
        visit(v, parent);
      }
      return;
    }
    if (!isNode(value)) return;
    if (STATEFUL.has(value.type)) {
      pure = false;
      return;
    }
    if (value.type === 'Identifier' && typeof value.value === 'string') {
      const name = value.value;
      if (NONDETERMINISTIC.has(name)) {
        pure = false;
        return;
      }
      reads.names.add(name);
      if (name === 'messages') {
        const property = parent?.type === 'MemberExpression' && parent.object === value && parent.computed === true ? parent.property : undefined;
        if (reads.messages !== 'all' && isNode(property) && property.type === 'IntegerLiteral' && Number.isInteger(property.value) && (property.value as number) >= 0)
          reads.messages.add(property.value as number);
        else reads.messages = 'all';
      }
    }
    for (const child of Object.values(value)) visit(child, value);
  };
  visit(statement, undefined);
  return pure ? reads : undefined;
}

/** Every identifier named anywhere in `statements`. */
function namesOf(statements: AstNode[]): Set<string> {
  const names = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) return value.forEach(visit);
    if (value instanceof Map) {
      for (const [k, v] of value) {
        visit(k);
        visit(v);
      }
      return;
    }
    if (!isNode(value)) return;
    if (value.type === 'Identifier' && typeof value.value === 'string') names.add(value.value);
    for (const child of Object.values(value)) visit(child);
  };
  statements.forEach(visit);
  return names;
}

const MAX_KEY_DEPTH = 64;

/**
 * `value` as a key, distinguishing what jinja's value conversion distinguishes; false when it holds
 * something that cannot be keyed (a function, a symbol, a bigint, nesting deeper than 64).
 */
function writeKey(value: unknown, out: string[], depth = 0): boolean {
  if (depth > MAX_KEY_DEPTH) return false;
  switch (typeof value) {
    case 'string':
      out.push(JSON.stringify(value));
      return true;
    case 'number':
      out.push(Object.is(value, -0) ? 'i-0' : `${Number.isInteger(value) ? 'i' : 'f'}${String(value)}`);
      return true;
    case 'boolean':
      out.push(value ? 'T' : 'F');
      return true;
    case 'undefined':
      out.push('U');
      return true;
    case 'object': {
      if (value === null) {
        out.push('N');
        return true;
      }
      if (Array.isArray(value)) {
        out.push('[');
        for (let i = 0; i < value.length; i++) {
          // A hole is not an undefined element to jinja's conversion (map skips it).
          if (!(i in value) || !writeKey(value[i], out, depth + 1)) return false;
          out.push(',');
        }
        out.push(']');
        return true;
      }
      out.push('{');
      for (const [k, v] of Object.entries(value)) {
        out.push(JSON.stringify(k), ':');
        if (!writeKey(v, out, depth + 1)) return false;
        out.push(',');
      }
      out.push('}');
      return true;
    }
    default:
      return false;
  }
}

/** Whether jinja's value conversion takes `value` (it throws on a bigint or a symbol anywhere in it). */
function convertible(value: unknown): boolean {
  switch (typeof value) {
    case 'bigint':
    case 'symbol':
      return false;
    case 'object':
      if (value === null) return true;
      return Array.isArray(value) ? value.every(convertible) : Object.values(value).every(convertible);
    default:
      return true;
  }
}

function withBody(template: Template, body: AstNode[]): Template {
  const copy = Object.create(Template.prototype) as Template;
  // The parsed program with another body: same node type, so the interpreter treats it alike.
  copy.parsed = Object.assign(Object.create(Object.getPrototypeOf(template.parsed) as object) as object, template.parsed, { body }) as Template['parsed'];
  return copy;
}

export interface MemoizedTemplate {
  render(items: Record<string, unknown>): string;
  /** Header renders held now. */
  readonly memoSize: number;
}

/** How a (part of a) template is rendered: the interpreter, or a compiled renderer (jinja/compile.ts). */
export type RendererOf = (template: Template) => (items: Record<string, unknown>) => string;
const interpreted: RendererOf = (template) => (items) => template.render(items);

/**
 * `template.render` with its leading pure statements memoized (plain `render` where it has none).
 * `rendererOf` renders the whole template, the header and the rest (each a template of its own).
 */
export function memoizeTemplate(template: Template, options: RenderMemoOptions = {}, rendererOf: RendererOf = interpreted): MemoizedTemplate {
  const whole = rendererOf(template);
  const body = template.parsed.body as unknown as AstNode[];
  // The leading run of statements that read the variables and change nothing.
  const headReads: Reads = { names: new Set(), messages: new Set() };
  let split = 0;
  while (split < body.length && readsOf(body[split]!)) readsOf(body[split++]!, headReads);
  if (split === 0) return { render: whole, memoSize: 0 };
  const head = rendererOf(withBody(template, body.slice(0, split)));
  const rest = split < body.length ? rendererOf(withBody(template, body.slice(split))) : undefined;
  const restNames = namesOf(body.slice(split));
  const names = [...headReads.names].sort();
  const indexes = headReads.messages === 'all' ? 'all' : [...headReads.messages].sort((a, b) => a - b);
  const memo = new LruMap<string, string>(options.maxEntries ?? 256, options.maxChars ?? 8_000_000);

  const keyOf = (items: Record<string, unknown>): string | undefined => {
    // The variable names themselves: which are set decides what the run sees (and whether a name
    // clashes with a global, which fails the render).
    const out: string[] = [JSON.stringify(Object.keys(items))];
    for (const name of names) {
      out.push('|');
      if (!Object.hasOwn(items, name)) continue;
      const value = items[name];
      if (name === 'messages' && indexes !== 'all' && Array.isArray(value)) {
        // Only the elements read; one past the end reads as undefined (an empty slot).
        for (const i of indexes) {
          out.push(';');
          if (i < value.length && !writeKey(value[i], out)) return undefined;
        }
      } else if (!writeKey(value, out)) return undefined;
    }
    return out.join('');
  };

  return {
    render(items) {
      const key = keyOf(items);
      let text = key === undefined ? undefined : memo.get(key);
      if (text === undefined) {
        text = head(items);
        if (key !== undefined) memo.set(key, text, key.length + text.length);
      }
      if (!rest) return text;
      // The rest reads only the variables it names. A plain render converts every variable first,
      // so one that cannot be converted fails the render whatever the memo holds.
      const restItems: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(items)) {
        if (restNames.has(name)) restItems[name] = value;
        else if (!convertible(value)) return whole(items);
      }
      return text + rest(restItems);
    },
    get memoSize() {
      return memo.size;
    },
  };
}
