/**
 * Operators, member access and `is` tests of @huggingface/jinja's interpreter over plain values
 * (see values.ts). Every case the interpreter rejects with an error is `Unsupported` here:
 * the render falls back, so the caller sees the interpreter's own error.
 */
import { Namespace, float, getOwn, int, kindOf, looseEq, rawStr, truthy, tuples, unsupported, type Kind, type Obj } from './values.ts';

// Module-level helpers, not per-call closures: tsx (esbuild keepNames) names every closure it
// creates, which costs more than the operator itself.
const isNumber = (k: Kind) => k === 'int' || k === 'float';
const numericLike = (k: Kind) => k === 'int' || k === 'float' || k === 'boolean';
const numberOf = (n: number, isFloat: boolean) => (isFloat ? float(n) : int(n));

function arithmetic(op: string, a: number, b: number, anyFloat: boolean): unknown {
  switch (op) {
    case '+':
      return numberOf(a + b, anyFloat);
    case '-':
      return numberOf(a - b, anyFloat);
    case '*':
      return numberOf(a * b, anyFloat);
    case '/':
      return float(a / b);
    case '//':
      return numberOf(Math.floor(a / b), anyFloat);
    case '%':
      return numberOf(a % b, anyFloat);
    case '<':
      return a < b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<=':
      return a <= b;
    default:
      return unsupported(`${op} on numbers`);
  }
}

function power(a: unknown, b: unknown, ka: Kind, kb: Kind): unknown {
  const x = Number(a);
  const y = Number(b);
  if (x === 0 && y < 0) return unsupported('0 to a negative power');
  const result = x ** y;
  if (!Number.isFinite(result)) return unsupported('a non-finite power');
  return ka === 'float' || kb === 'float' || y < 0 ? float(result) : int(result);
}

/** A binary operator other than `and`/`or` (those short-circuit in the compiler). */
export function binary(op: string, a: unknown, b: unknown): unknown {
  if (op === '==') return looseEq(a, b);
  if (op === '!=') return !looseEq(a, b);
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka === 'undefined' || kb === 'undefined') {
    if (kb === 'undefined' && (op === 'in' || op === 'not in')) return op === 'not in';
    return unsupported(`${op} on undefined`);
  }
  if (ka === 'null' || kb === 'null') return unsupported(`${op} on null`);
  if (op === '~') return rawStr(a) + rawStr(b);
  if (op === '**' && numericLike(ka) && numericLike(kb)) return power(a, b, ka, kb);
  if (isNumber(ka) && isNumber(kb)) return arithmetic(op, a as number, b as number, ka === 'float' || kb === 'float');
  const listA = ka === 'array' || ka === 'tuple';
  const listB = kb === 'array' || kb === 'tuple';
  if (listA && listB) {
    if (op === '+') return (a as unknown[]).concat(b as unknown[]);
  } else if (listB && (op === 'in' || op === 'not in')) {
    // Membership compares raw values strictly; a container on the left would compare identities.
    if (typeof a === 'object' || typeof a === 'function') return unsupported('a container in a list');
    const member = (b as unknown[]).includes(a) && !Number.isNaN(a);
    return op === 'in' ? member : !member;
  }
  if (op === '+' && (ka === 'string' || kb === 'string') && !listA && !listB) return rawStr(a) + rawStr(b);
  if (ka === 'string' && kb === 'string' && (op === 'in' || op === 'not in')) {
    const member = (b as string).includes(a as string);
    return op === 'in' ? member : !member;
  }
  if (ka === 'string' && kb === 'object' && (op === 'in' || op === 'not in')) {
    const member = Object.hasOwn(b as Obj, a as string);
    return op === 'in' ? member : !member;
  }
  return unsupported(`${op} between ${ka} and ${kb}`);
}

export function unary(op: string, v: unknown): unknown {
  if (op === 'not') return !truthy(v);
  const k = kindOf(v);
  if ((op === '-' || op === '+') && (isNumber(k) || k === 'boolean')) {
    const n = (op === '-' ? -1 : 1) * Number(v);
    return k === 'float' ? float(n) : int(n);
  }
  return unsupported(`unary ${op} on ${k}`);
}

const STRING_METHODS = new Set(['upper', 'lower', 'strip', 'title', 'capitalize', 'rstrip', 'lstrip', 'startswith', 'endswith', 'split', 'replace']);
export const OBJECT_METHODS = new Set(['get', 'items', 'keys', 'values', 'dictsort']);

/** `obj.key` / `obj[key]`, where what it names is not a method being called. */
export function member(obj: unknown, key: unknown): unknown {
  const ko = kindOf(obj);
  const kk = kindOf(key);
  if (ko === 'object' || ko === 'namespace') {
    if (kk !== 'string') return unsupported('a non-string key on a mapping');
    if (ko === 'namespace') return (obj as Namespace).vars.get(key as string);
    if (Object.hasOwn(obj as Obj, key as string)) return (obj as Obj)[key as string];
    return OBJECT_METHODS.has(key as string) ? unsupported('a method as a value') : undefined;
  }
  if (ko === 'array' || ko === 'tuple' || ko === 'string') {
    if (kk === 'int') {
      if (ko !== 'string') return (obj as unknown[]).at(key as number);
      return (obj as string).at(key as number);
    }
    if (kk !== 'string') return unsupported('a non-integer index');
    if (key === 'length') return (obj as string | unknown[]).length;
    return ko === 'string' && STRING_METHODS.has(key as string) ? unsupported('a method as a value') : undefined;
  }
  return kk === 'string' ? undefined : unsupported('a non-string key');
}

/** The `is` tests: the one-operand tests of the interpreter's Environment. */
export const TESTS: Record<string, (v: unknown) => boolean> = {
  boolean: (v) => typeof v === 'boolean',
  callable: (v) => kindOf(v) === 'function',
  odd: (v) => (kindOf(v) === 'int' ? (v as number) % 2 !== 0 : unsupported('odd of a non-integer')),
  even: (v) => (kindOf(v) === 'int' ? (v as number) % 2 === 0 : unsupported('even of a non-integer')),
  false: (v) => v === false,
  true: (v) => v === true,
  none: (v) => v === null,
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number',
  integer: (v) => kindOf(v) === 'int',
  // The interpreter checks the exact type here: a tuple or a mapping is not "iterable".
  iterable: (v) => typeof v === 'string' || (Array.isArray(v) && !tuples.has(v)),
  mapping: (v) => kindOf(v) === 'object',
  sequence: (v) => ['array', 'tuple', 'object', 'string'].includes(kindOf(v)),
  lower: (v) => typeof v === 'string' && v === v.toLowerCase(),
  upper: (v) => typeof v === 'string' && v === v.toUpperCase(),
  defined: (v) => v !== undefined,
  undefined: (v) => v === undefined,
};

/** Tests `selectattr` may name with a second operand. */
export function testWith(name: string, a: unknown, b: unknown): boolean {
  if (name === 'equalto' || name === 'eq') {
    if ((typeof a === 'object' && a !== null) || (typeof b === 'object' && b !== null)) return unsupported('equalto on containers');
    return a === b;
  }
  const test = Object.hasOwn(TESTS, name) ? TESTS[name] : undefined;
  return test ? test(a) : unsupported(`test ${name}`);
}

export { getOwn };
