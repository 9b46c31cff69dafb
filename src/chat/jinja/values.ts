/**
 * Value semantics of @huggingface/jinja's interpreter (0.5.x), over plain JS values instead of its
 * RuntimeValue wrappers. The mapping is the interpreter's own input conversion: a string, boolean,
 * null, undefined, array or plain object stands for itself; a number is an integer when
 * `Number.isInteger` says so and a float otherwise. A float with an integral value (which the
 * interpreter prints as `1.0`) has no plain form, so every operation that would make one throws
 * `Unsupported` and the render falls back to the interpreter. Tuples are arrays kept in `tuples`,
 * because the interpreter treats them apart in a few places (`is iterable`, `tojson`).
 */
import { PhysarumError } from '../../protocol/errors.ts';
import { isFrozenDeep } from '../deep-freeze.ts';

/** Thrown where a render leaves the supported subset; the caller renders with the interpreter. */
export class Unsupported extends PhysarumError {
  constructor(why: string) {
    super('PHYSARUM_TEMPLATE', why);
  }
}

export const unsupported = (why: string): never => {
  throw new Unsupported(why);
};

/** `namespace(...)`: the one mutable value a template can make. */
export class Namespace {
  constructor(readonly vars: Map<string, unknown>) {}
}

/**
 * A function a template can call: a global (`range`, `namespace`, ...) or a macro, given the
 * positional and keyword values and the caller's scope (a macro's body sees the caller's variables).
 */
export class GlobalFn {
  constructor(readonly call: (args: unknown[], kwargs: Map<string, unknown>, scope: unknown) => unknown) {}
}

export const tuples = new WeakSet<unknown[]>();

export type Obj = Record<string, unknown>;
export type Kind = 'undefined' | 'null' | 'boolean' | 'int' | 'float' | 'string' | 'array' | 'tuple' | 'object' | 'namespace' | 'function';

export function kindOf(v: unknown): Kind {
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return Number.isInteger(v) ? 'int' : 'float';
    case 'boolean':
      return 'boolean';
    case 'undefined':
      return 'undefined';
    case 'function':
      return 'function';
    case 'object':
      if (v === null) return 'null';
      if (Array.isArray(v)) return tuples.has(v) ? 'tuple' : 'array';
      if (v instanceof Namespace) return 'namespace';
      if (v instanceof GlobalFn) return 'function';
      return 'object';
    default:
      return unsupported(`a ${typeof v} value`);
  }
}

/** A float result as a plain number; an integral one cannot be told from an integer. */
export function float(n: number): number {
  return Number.isInteger(n) ? unsupported('an integral float') : n;
}

/** An integer result as a plain number (the interpreter would keep a non-integral one as an integer). */
export function int(n: number): number {
  return Number.isInteger(n) ? n : unsupported('a non-integral integer');
}

export const isObj = (v: unknown): v is Obj => kindOf(v) === 'object';

/** Own entries, in the order the interpreter's Map holds them. */
export function entriesOf(v: Obj | Namespace): Array<[string, unknown]> {
  return v instanceof Namespace ? [...v.vars] : Object.entries(v);
}

export function getOwn(o: Obj, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

/** Python-like truthiness, as the interpreter's `__bool__`. */
export function truthy(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return !!v;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Namespace || v instanceof GlobalFn) return true;
  for (const key in v) if (Object.hasOwn(v, key)) return true;
  return false;
}

/** What `{{ v }}` prints (RuntimeValue.toString); null and undefined print nothing there. */
export function toStr(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'boolean':
      // Integers print as String does; floats here are never integral (see `float`).
      return String(v);
    case 'undefined':
      return 'undefined';
    case 'object':
      if (v === null) return 'null';
      return toJson(v, NO_OPTIONS, 0, false);
    default:
      return unsupported('printing a function');
  }
}

/** A value's JS `.value.toString()`, which `~` and string `+` use (not the jinja printing). */
export function rawStr(v: unknown): string {
  const t = typeof v;
  if (t === 'string' || t === 'number' || t === 'boolean') return String(v);
  return unsupported('concatenating a container');
}

/** `==`: the interpreter compares the raw JS values loosely. */
export function looseEq(a: unknown, b: unknown): boolean {
  const ao = typeof a === 'object' && a !== null;
  const bo = typeof b === 'object' && b !== null;
  if (!ao && !bo && typeof a !== 'function' && typeof b !== 'function') return a == b;
  // A container equals only null/undefined loosely: never. Identity of containers is not kept
  // as the interpreter keeps it (it converts every input occurrence apart).
  if (a === null || a === undefined || b === null || b === undefined) return false;
  return unsupported('== between containers');
}

export interface JsonOptions {
  indent: number | null;
  ensureAscii: boolean;
  separators: [string, string] | null;
  sortKeys: boolean;
}
export const NO_OPTIONS: JsonOptions = { indent: null, ensureAscii: false, separators: null, sortKeys: false };

const asciiSafe = (s: string): string => s.replace(/[\x7f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

// Texts of deeply frozen values (deep-freeze.ts), which cannot change, per object and settings.
const frozenTexts = new WeakMap<object, Map<string, string>>();

/** The interpreter's JSON writer: `, `/`: ` by default, `,` between items when indented. */
export function toJson(v: unknown, o: JsonOptions, depth: number, undefinedToNull: boolean): string {
  if (typeof v === 'object' && v !== null && isFrozenDeep(v)) {
    const key = `${o.indent}|${o.ensureAscii}|${o.separators?.join('\u0000')}|${o.sortKeys}|${depth}|${undefinedToNull}`;
    let texts = frozenTexts.get(v);
    let text = texts?.get(key);
    if (text === undefined) {
      text = writeJson(v, o, depth, undefinedToNull);
      if (!texts) frozenTexts.set(v, (texts = new Map()));
      texts.set(key, text);
    }
    return text;
  }
  return writeJson(v, o, depth, undefinedToNull);
}

function writeJson(v: unknown, o: JsonOptions, depth: number, undefinedToNull: boolean): string {
  switch (kindOf(v)) {
    case 'null':
      return 'null';
    case 'undefined':
      return undefinedToNull ? 'null' : 'undefined';
    case 'int':
    case 'float':
    case 'boolean':
      return JSON.stringify(v);
    case 'string':
      return o.ensureAscii ? asciiSafe(JSON.stringify(v)) : JSON.stringify(v);
    case 'array':
    case 'object':
    case 'namespace':
      break;
    default:
      return unsupported('tojson of a tuple or function');
  }
  const [itemSep, keySep] = o.separators ?? (o.indent ? [',', ': '] : [', ', ': ']);
  const pad = o.indent ? ' '.repeat(o.indent) : '';
  const base = '\n' + pad.repeat(depth);
  const child = base + pad;
  if (Array.isArray(v)) {
    const parts = v.map((x) => toJson(x, o, depth + 1, undefinedToNull));
    return o.indent && parts.length > 0 ? `[${child}${parts.join(itemSep + child)}${base}]` : `[${parts.join(itemSep)}]`;
  }
  let entries = entriesOf(v as Obj | Namespace);
  if (o.sortKeys) entries = entries.sort(([a], [b]) => a.localeCompare(b));
  const parts = entries.map(([key, value]) => {
    const k = o.ensureAscii ? asciiSafe(JSON.stringify(key)) : JSON.stringify(key);
    const text = `${k}${keySep}${toJson(value, o, depth + 1, undefinedToNull)}`;
    return o.indent ? child + text : text;
  });
  return o.indent && parts.length > 0 ? `{${parts.join(itemSep)}${base}}` : `{${parts.join(itemSep)}}`;
}

const numeric = (k: Kind) => k === 'int' || k === 'float' || k === 'boolean';

/** The interpreter's ordering for `sort`: numbers (and booleans) by value, strings maybe folded. */
export function compare(a: unknown, b: unknown, caseSensitive: boolean): number {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka === 'null' && kb === 'null') return 0;
  if (ka === 'undefined' && kb === 'undefined') return 0;
  if (numeric(ka) && numeric(kb)) {
    const x = Number(a);
    const y = Number(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (ka !== 'string' || kb !== 'string') return unsupported(`comparing ${ka} with ${kb}`);
  const x = caseSensitive ? (a as string) : (a as string).toLowerCase();
  const y = caseSensitive ? (b as string) : (b as string).toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/** `item.a.0.b` for map/sort `attribute=`: mappings by key, arrays by index, else undefined. */
export function attributePath(item: unknown, path: string): unknown {
  let value = item;
  for (const part of path.split('.')) {
    const kind = kindOf(value);
    if (kind === 'object') value = getOwn(value as Obj, part);
    else if (kind === 'namespace') value = (value as Namespace).vars.get(part);
    else if (kind === 'array' || kind === 'tuple') {
      const index = parseInt(part, 10);
      const list = value as unknown[];
      if (!(index >= 0 && index < list.length)) return undefined;
      value = list[index];
    } else return undefined;
  }
  return value;
}

/** Python slicing (`[::-1]`, negative bounds), over array elements or a string's code points. */
export function sliceOf<T>(list: T[], start: number | undefined, stop: number | undefined, step = 1): T[] {
  const n = list.length;
  const dir = Math.sign(step);
  let from: number;
  let to: number;
  if (dir >= 0) {
    from = (start ??= 0) < 0 ? Math.max(n + start, 0) : Math.min(start, n);
    to = (stop ??= n) < 0 ? Math.max(n + stop, 0) : Math.min(stop, n);
  } else {
    from = (start ??= n - 1) < 0 ? Math.max(n + start, -1) : Math.min(start, n - 1);
    to = (stop ??= -1) < -1 ? Math.max(n + stop, -1) : Math.min(stop, n - 1);
  }
  const out: T[] = [];
  for (let i = from; dir * i < dir * to; i += step) out.push(list[i] as T);
  return out;
}
