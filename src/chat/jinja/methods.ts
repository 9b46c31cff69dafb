/**
 * String and mapping methods and the globals (`range`, `namespace`, `strftime_now`,
 * `raise_exception`) of @huggingface/jinja's interpreter over plain values (see values.ts),
 * with its argument conventions: a positional argument, else a keyword, else the default.
 */
import { GlobalFn, Namespace, entriesOf, kindOf, unsupported, type Obj } from './values.ts';

export type Kwargs = Map<string, unknown>;

export const titleCase = (s: string) => s.replace(/\b\w/g, (c) => c.toUpperCase());
export const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** No argument given: apart from an argument that evaluated to undefined, which is a value there. */
export const MISSING: unique symbol = Symbol('missing');
export type Arg = unknown;

/** Positional argument `i`, else keyword `name`, else MISSING (the interpreter's `args.at(i) ?? kwargs.get(name)`). */
export function arg(args: unknown[], i: number, kw: Kwargs, name: string): Arg {
  return i < args.length ? args[i] : kw.has(name) ? kw.get(name) : MISSING;
}

export function flag(value: Arg, fallback: boolean): boolean {
  if (value === MISSING) return fallback;
  return typeof value === 'boolean' ? value : unsupported('a non-boolean flag');
}

function startsOrEnds(s: string, pattern: unknown, ends: boolean): boolean {
  if (typeof pattern === 'string') return ends ? s.endsWith(pattern) : s.startsWith(pattern);
  if (!Array.isArray(pattern)) return unsupported('startswith/endswith argument');
  for (const p of pattern) {
    if (typeof p !== 'string') return unsupported('startswith/endswith element');
    if (ends ? s.endsWith(p) : s.startsWith(p)) return true;
  }
  return false;
}

function split(s: string, sep: unknown, maxsplit: unknown): string[] {
  if (kindOf(maxsplit) !== 'int') return unsupported('split maxsplit');
  const max = maxsplit as number;
  if (sep === null) {
    // Python's whitespace split: runs of non-space, the remainder kept whole past maxsplit.
    const text = s.trimStart();
    const out: string[] = [];
    for (const m of text.matchAll(/\S+/g)) {
      if (max !== -1 && out.length >= max) {
        out.push(m[0] + text.slice(m.index + m[0].length));
        break;
      }
      out.push(m[0]);
    }
    return out;
  }
  if (typeof sep !== 'string' || sep === '') return unsupported('split separator');
  const parts = s.split(sep);
  if (max !== -1 && parts.length > max) parts.push(parts.splice(max).join(sep));
  return parts;
}

function replaceAll(s: string, from: string, to: string, count: number | null): string {
  if (count === 0) return s;
  let left = count === null || count < 0 ? Infinity : count;
  // Matches as the interpreter's unicode regex does: an empty pattern between code points.
  const pattern = new RegExp(from === '' ? '(?=)' : from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gu');
  return s.replace(pattern, (match) => (left-- > 0 ? to : match));
}

/**
 * `s.method(...)`. `viaFilter`: the replace filter, which always hands the keywords on as a
 * trailing argument (a call passes them only when there are any).
 */
export function stringMethod(s: string, name: string, args: unknown[], kw: Kwargs, viaFilter = false): unknown {
  if (kw.size > 0 && name !== 'replace') return unsupported(`keywords to ${name}`);
  switch (name) {
    case 'upper':
      return s.toUpperCase();
    case 'lower':
      return s.toLowerCase();
    // The interpreter ignores strip's characters argument: it always strips whitespace.
    case 'strip':
      return s.trim();
    case 'lstrip':
      return s.trimStart();
    case 'rstrip':
      return s.trimEnd();
    case 'title':
      return titleCase(s);
    case 'capitalize':
      return capitalize(s);
    case 'startswith':
    case 'endswith':
      return args.length === 0 ? unsupported(`${name}()`) : startsOrEnds(s, args[0], name === 'endswith');
    case 'split':
      // An argument that evaluates to undefined is still an argument there (and a wrong one).
      return split(s, args.length > 0 ? args[0] : null, args.length > 1 ? args[1] : -1);
    case 'replace': {
      const [from, to] = args;
      if (typeof from !== 'string' || typeof to !== 'string') return unsupported('replace arguments');
      const keywords = viaFilter || kw.size > 0;
      const given = args.length > 2 ? args[2] : keywords ? arg([], 0, kw, 'count') : MISSING;
      const count = given === MISSING ? null : given;
      if (count !== null && kindOf(count) !== 'int') return unsupported('replace count');
      return replaceAll(s, from, to, count as number | null);
    }
  }
  return unsupported(`string method ${name}`);
}

function range(args: unknown[], kw: Kwargs): number[] {
  if (kw.size > 0 || args.length < 1 || args.length > 3 || args.some((a) => kindOf(a) !== 'int')) return unsupported('range arguments');
  const [a, b, c] = args as number[];
  const [start, stop, step] = b === undefined ? [0, a!, 1] : [a!, b, c ?? 1];
  if (step === 0) return unsupported('range step 0');
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
  return out;
}

function namespace(args: unknown[], kw: Kwargs): Namespace {
  if (args.length > 1 || (args.length === 1 && kindOf(args[0]) !== 'object')) return unsupported('namespace arguments');
  const vars = new Map<string, unknown>(args.length === 1 ? entriesOf(args[0] as Obj) : []);
  for (const [key, value] of kw) vars.set(key, value);
  return new Namespace(vars);
}

function strftimeNow(args: unknown[], kw: Kwargs): string {
  const format = args[0];
  if (typeof format !== 'string' || args.length !== 1 || kw.size > 0) return unsupported('strftime_now arguments');
  const date = new Date();
  const two = (n: number) => String(n).padStart(2, '0');
  const month = (style: 'long' | 'short') => new Intl.DateTimeFormat(undefined, { month: style }).format(date);
  const fields: Record<string, () => string> = {
    '%Y': () => String(date.getFullYear()), '%m': () => two(date.getMonth() + 1), '%d': () => two(date.getDate()),
    '%b': () => month('short'), '%B': () => month('long'), '%H': () => two(date.getHours()), '%M': () => two(date.getMinutes()), '%%': () => '%',
  };
  return format.replace(/%[YmdbBHM%]/g, (token) => fields[token]!());
}

/** The names the interpreter defines before the caller's variables (a clash fails its render). */
export function globals(): Map<string, unknown> {
  return new Map<string, unknown>([
    ['namespace', NAMESPACE], ['false', false], ['true', true], ['none', null],
    ['raise_exception', RAISE], ['range', RANGE], ['strftime_now', STRFTIME_NOW], ['True', true], ['False', false], ['None', null],
  ]);
}
const NAMESPACE = new GlobalFn(namespace);
const RANGE = new GlobalFn(range);
const STRFTIME_NOW = new GlobalFn(strftimeNow);
// The render falls back and the interpreter raises the template's own message.
const RAISE = new GlobalFn(() => unsupported('raise_exception'));

/** `mapping.method(...)` for a method its own keys do not shadow. */
export function objectMethod(o: Obj, name: string, args: unknown[], kw: Kwargs): unknown {
  if (kw.size > 0) return unsupported(`keywords to ${name}`);
  switch (name) {
    case 'get': {
      const [key, fallback] = args;
      if (typeof key !== 'string') return unsupported('get with a non-string key');
      // A missing key without a default is none, not undefined.
      return Object.hasOwn(o, key) ? o[key] : args.length > 1 ? fallback : null;
    }
    case 'items':
      return entriesOf(o);
    case 'keys':
      return Object.keys(o);
    case 'values':
      return Object.values(o);
  }
  return unsupported(`mapping method ${name}`);
}

