/**
 * Filters of @huggingface/jinja's interpreter over plain values (see values.ts), case by case
 * as it applies them: a filter's meaning depends on the type of its operand, and one it does not
 * define for that type is an error there (`Unsupported` here).
 */
import { MISSING, arg, capitalize, flag, objectMethod, stringMethod, titleCase, type Arg, type Kwargs } from './methods.ts';
import { testWith, TESTS } from './ops.ts';
import {
  Namespace, NO_OPTIONS, attributePath, compare, float, int, kindOf, rawStr, toJson, toStr, truthy, unsupported, type JsonOptions, type Obj,
} from './values.ts';

const NO_KWARGS: Kwargs = new Map();

function indent(s: string, width: Arg, first: Arg, blank: Arg): string {
  const by = width === MISSING ? 4 : width;
  if (kindOf(by) !== 'int') return unsupported('indent width');
  const pad = ' '.repeat(by as number);
  const keepFirst = !flag(first, false);
  const keepBlank = !flag(blank, false);
  return s.split('\n').map((line, i) => ((keepFirst && i === 0) || (keepBlank && line.length === 0) ? line : pad + line)).join('\n');
}

function tojsonOptions(kw: Kwargs): JsonOptions {
  const given = arg([], 0, kw, 'indent');
  const indentBy = given === MISSING ? null : given;
  if (indentBy !== null && kindOf(indentBy) !== 'int') return unsupported('tojson indent');
  const separators = kw.has('separators') ? kw.get('separators') : null;
  let pair: [string, string] | null = null;
  if (separators !== null) {
    if (!Array.isArray(separators) || separators.length !== 2 || typeof separators[0] !== 'string' || typeof separators[1] !== 'string')
      return unsupported('tojson separators');
    pair = [separators[0], separators[1]];
  }
  return { indent: indentBy as number | null, ensureAscii: flag(arg([], 0, kw, 'ensure_ascii'), false), sortKeys: flag(arg([], 0, kw, 'sort_keys'), false), separators: pair };
}

/** A filter written without arguments (`x | trim`). */
export function plainFilter(name: string, v: unknown): unknown {
  if (name === 'safe') return v;
  if (name === 'tojson') return toJson(v, NO_OPTIONS, 0, true);
  const k = kindOf(v);
  if (k === 'array' || k === 'tuple') {
    const list = v as unknown[];
    switch (name) {
      case 'list':
        return v;
      case 'first':
      case 'last':
        // The interpreter hands on a missing element as a raw undefined, which then breaks it.
        return list.length > 0 ? list[name === 'first' ? 0 : list.length - 1] : unsupported('first/last of []');
      case 'length':
        return list.length;
      case 'reverse':
        return list.slice().reverse();
      case 'sort':
        return list.slice().sort((a, b) => compare(a, b, false));
      case 'join':
        return joinRaw(list, '');
      case 'string':
        return toJson(v, NO_OPTIONS, 0, false);
      case 'unique': {
        if (list.some((x) => typeof x === 'object' && x !== null)) return unsupported('unique of containers');
        return [...new Set(list)];
      }
    }
  } else if (k === 'string') {
    const s = v as string;
    switch (name) {
      case 'length':
        return s.length;
      case 'upper':
        return s.toUpperCase();
      case 'lower':
        return s.toLowerCase();
      case 'title':
        return titleCase(s);
      case 'capitalize':
        return capitalize(s);
      case 'trim':
        return s.trim();
      case 'indent':
        return indent(s, 4, MISSING, MISSING);
      case 'join':
      case 'string':
        return s;
      case 'int': {
        const n = parseInt(s, 10);
        return isNaN(n) ? 0 : int(n);
      }
      case 'float': {
        const n = parseFloat(s);
        return float(isNaN(n) ? 0 : n);
      }
    }
  } else if (k === 'int' || k === 'float') {
    const n = v as number;
    switch (name) {
      case 'abs':
        return Math.abs(n);
      case 'int':
        return int(Math.floor(n));
      case 'float':
        return float(n);
      case 'string':
        return toStr(n);
    }
  } else if (k === 'object') {
    if (name === 'length') return Object.keys(v as Obj).length;
    if (name === 'items' || name === 'keys' || name === 'values') return objectMethod(v as Obj, name, [], NO_KWARGS);
  } else if (k === 'boolean') {
    switch (name) {
      case 'bool':
        return v;
      case 'int':
        return v ? 1 : 0;
      case 'string':
        return String(v);
    }
  }
  return unsupported(`filter ${name} on ${k}`);
}

/** `join` takes each element's raw value: strings and numbers as JS prints them, null as ''. */
function joinRaw(list: unknown[], sep: string): string {
  return list.map((x) => (x === null || x === undefined ? '' : rawStr(x))).join(sep);
}

/** A filter written with arguments (`x | tojson(indent=2)`). */
export function callFilter(name: string, v: unknown, args: unknown[], kw: Kwargs): unknown {
  const k = kindOf(v);
  switch (name) {
    case 'tojson':
      return toJson(v, tojsonOptions(kw), 0, true);
    case 'join': {
      const given = arg(args, 0, kw, 'separator');
      const sep = given === MISSING ? '' : given;
      if (typeof sep !== 'string') return unsupported('join separator');
      if (k === 'string') return Array.from(v as string).join(sep);
      if (k === 'array' || k === 'tuple') return joinRaw(v as unknown[], sep);
      return unsupported('join of a non-sequence');
    }
    case 'int':
    case 'float': {
      if (k === 'int' || k === 'float') return v;
      if (k === 'boolean') return name === 'int' ? (v ? 1 : 0) : unsupported('an integral float');
      if (k !== 'string') return unsupported(`${name} of ${k}`);
      const n = name === 'int' ? parseInt(v as string, 10) : parseFloat(v as string);
      const fallback = arg(args, 0, kw, 'default');
      if (isNaN(n)) return fallback !== MISSING ? fallback : name === 'int' ? 0 : unsupported('an integral float');
      return name === 'int' ? int(n) : float(n);
    }
    case 'default': {
      const fallback = args.length > 0 ? args[0] : '';
      const boolean = flag(arg(args, 1, kw, 'boolean'), false);
      return v === undefined || (boolean && !truthy(v)) ? fallback : v;
    }
  }
  if (k === 'array' || k === 'tuple') return listFilter(name, v as unknown[], args, kw);
  if (k === 'string') {
    if (name === 'indent') return indent(v as string, arg(args, 0, kw, 'width'), arg(args, 1, kw, 'first'), arg(args, 2, kw, 'blank'));
    if (name === 'replace') return stringMethod(v as string, 'replace', args, kw, true);
  }
  if (k === 'object' && (name === 'get' || name === 'items' || name === 'keys' || name === 'values')) return objectMethod(v as Obj, name, args, kw);
  return unsupported(`filter ${name}(...) on ${k}`);
}

function listFilter(name: string, list: unknown[], args: unknown[], kw: Kwargs): unknown {
  switch (name) {
    case 'sort': {
      const reverse = flag(arg(args, 0, kw, 'reverse'), false);
      const caseSensitive = flag(arg(args, 1, kw, 'case_sensitive'), false);
      const given = arg(args, 2, kw, 'attribute');
      const attribute = given === MISSING ? null : given;
      const ka = kindOf(attribute);
      if (ka !== 'string' && ka !== 'int' && ka !== 'null') return unsupported('sort attribute');
      const key = (x: unknown) => (attribute === null ? x : attributePath(x, String(attribute)));
      return list.slice().sort((a, b) => (reverse ? -1 : 1) * compare(key(a), key(b), caseSensitive));
    }
    case 'selectattr':
    case 'rejectattr': {
      if (list.some((x) => kindOf(x) !== 'object' && kindOf(x) !== 'namespace')) return unsupported(`${name} of non-mappings`);
      if (args.some((x) => typeof x !== 'string') || kw.size > 0) return unsupported(`${name} arguments`);
      const [attr, test, operand] = args as string[];
      if (attr === undefined) return unsupported(`${name} without an attribute`);
      if (test !== undefined && !Object.hasOwn(TESTS, test) && test !== 'equalto' && test !== 'eq') return unsupported(`test ${test}`);
      if ((test === 'equalto' || test === 'eq') && args.length < 3) return unsupported(`${test} without an operand`);
      return list.filter((item) => {
        const own = item instanceof Namespace ? item.vars.has(attr) : Object.hasOwn(item as Obj, attr);
        const value = item instanceof Namespace ? item.vars.get(attr) : (item as Obj)[attr];
        // A present attribute is a RuntimeValue there, truthy as an object whatever it holds.
        const result = own ? (test === undefined ? truthy(value) : testWith(test, value, operand)) : false;
        return name === 'selectattr' ? result : !result;
      });
    }
    case 'map': {
      if (!kw.has('attribute')) return unsupported('map without attribute');
      const attr = kw.get('attribute');
      if (typeof attr !== 'string') return unsupported('map attribute');
      return list.map((item) => {
        const kind = kindOf(item);
        if (kind !== 'object' && kind !== 'namespace') return unsupported('map over non-mappings');
        const value = attributePath(item, attr);
        return value === undefined ? kw.get('default') : value;
      });
    }
  }
  return unsupported(`filter ${name}(...) on a list`);
}

