/**
 * A chat template compiled from @huggingface/jinja's parsed AST into JS closures over plain values,
 * so a render allocates no RuntimeValue per intermediate value (the interpreter's main cost). Its
 * output is the interpreter's, byte for byte. What it cannot compile (call blocks, macros reading
 * varargs or kwargs, spread arguments, an unknown test) makes `compileTemplate` return undefined;
 * what it cannot decide at render time (see values.ts), or any error, renders the same items
 * with the interpreter, so the caller sees the interpreter's own output or error. Statements and
 * macros here; expressions in expr.ts, loops and scopes in loop.ts; values, operators
 * and builtins in values.ts, ops.ts, builtins.ts and methods.ts.
 */
import type { Template } from '@huggingface/jinja';
import { isFrozenDeep } from '../deep-freeze.ts';
import { globals } from './methods.ts';
import { compileExpr, compileFilter, notCompilable, print, type Expr, type Node } from './expr.ts';
import { BREAK, CONTINUE, compileFor } from './loop.ts';
import { Scope } from './scope.ts';
import { GlobalFn, Namespace, truthy, unsupported } from './values.ts';

type Stmt = (s: Scope) => string;

/** Statements in order, their outputs concatenated (null and undefined print nothing). */
export function compileBlock(nodes: Node[] | undefined): Stmt {
  const stmts = (nodes ?? []).map(compileStatement);
  if (stmts.length === 1) return stmts[0]!;
  return (s) => {
    let out = '';
    for (const stmt of stmts) out += stmt(s);
    return out;
  };
}

function compileStatement(node: Node): Stmt {
  switch (node.type) {
    case 'StringLiteral': {
      const text = node.value as string;
      return () => text;
    }
    case 'Comment':
      return () => '';
    case 'If': {
      const test = compileExpr(node.test);
      const body = compileBlock(node.body);
      const alternate = compileBlock(node.alternate);
      return (s) => (truthy(test(s)) ? body(s) : alternate(s));
    }
    case 'For':
      return compileFor(node, compileExpr, compileBlock);
    case 'Set':
      return compileSet(node);
    case 'Break':
      return () => {
        throw BREAK;
      };
    case 'Continue':
      return () => {
        throw CONTINUE;
      };
    case 'FilterStatement': {
      const body = compileBlock(node.body);
      const filter = compileFilter(node.filter);
      return (s) => print(filter(body(s), s));
    }
    case 'Macro':
      return compileMacro(node);
    case 'CallStatement':
      return notCompilable(node.type);
    default: {
      const expr = compileExpr(node);
      return (s) => print(expr(s));
    }
  }
}

function names(value: unknown, out: Set<string>): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => names(v, out));
  else if (value instanceof Map) [...value].forEach(([k, v]) => (names(k, out), names(v, out)));
  else if (typeof value === 'object' && value !== null) {
    if ((value as Node).type === 'Identifier') out.add((value as Node).value as string);
    Object.values(value).forEach((v) => names(v, out));
  }
  return out;
}

/**
 * `{% macro name(a, b=default) %}`: a function whose body runs in a scope under the caller's (the
 * interpreter scopes macros dynamically). Parameters bind positionally, then by keyword; defaults
 * are evaluated after all are bound, in that scope. A macro reading `varargs`/`kwargs`/`caller`
 * is left to the interpreter.
 */
function compileMacro(node: Node): Stmt {
  const params = (node.args as Node[]).map((p) =>
    p.type === 'Identifier' ? { name: p.value as string, fallback: undefined }
      : p.type === 'KeywordArgumentExpression' ? { name: p.key.value as string, fallback: compileExpr(p.value) } : notCompilable('a macro parameter'));
  const read = names([node.args, node.body], new Set());
  if (read.has('varargs') || read.has('kwargs') || read.has('caller')) notCompilable('varargs, kwargs or caller in a macro');
  const body = compileBlock(node.body);
  const fn = new GlobalFn((args, kwargs, caller) => {
    const scope = new Scope(caller as Scope);
    const keywords = new Map(kwargs);
    const pending: Array<[string, Expr]> = [];
    params.forEach(({ name, fallback }, i) => {
      let given = i < args.length;
      let value = args[i];
      if (!given && keywords.has(name)) {
        [given, value] = [true, keywords.get(name)];
        keywords.delete(name);
      }
      if (!given && fallback) pending.push([name, fallback]);
      scope.vars.set(name, value);
    });
    if (keywords.size > 0 || args.length > params.length) return unsupported('extra macro arguments');
    for (const [name, fallback] of pending) scope.vars.set(name, fallback(scope));
    return body(scope);
  });
  const name = node.name.value as string;
  return (s) => {
    s.vars.set(name, fn);
    return '';
  };
}

function compileSet(node: Node): Stmt {
  const value: Expr = node.value ? compileExpr(node.value) : compileBlock(node.body);
  const target = node.assignee as Node;
  if (target.type === 'Identifier') {
    const name = target.value as string;
    return (s) => {
      s.vars.set(name, value(s));
      return '';
    };
  }
  if (target.type === 'TupleLiteral') {
    const names = (target.value as Node[]).map((n) => (n.type === 'Identifier' ? (n.value as string) : notCompilable('set to a non-name')));
    return (s) => {
      const v = value(s);
      if (!Array.isArray(v) || v.length !== names.length) return unsupported('set unpacking');
      names.forEach((name, i) => s.vars.set(name, v[i]));
      return '';
    };
  }
  if (target.type === 'MemberExpression' && target.property.type === 'Identifier') {
    const object = compileExpr(target.object);
    const key = target.property.value as string;
    return (s) => {
      const v = value(s);
      const ns = object(s);
      if (!(ns instanceof Namespace)) return unsupported('set on a non-namespace');
      ns.vars.set(key, v);
      return '';
    };
  }
  return notCompilable('set target');
}

/**
 * Whether the interpreter's input conversion takes `value` as the plain mapping used here: it
 * throws on a bigint or symbol, skips array holes, and reads any other object through
 * Object.entries, which only a plain object shares with `Object.hasOwn` lookups.
 */
function plain(value: unknown, depth = 0): boolean {
  if (depth > 256) return false;
  // Deeply frozen values were checked to be plain data, all the way down, when they were frozen.
  if (typeof value === 'object' && value !== null && isFrozenDeep(value)) return true;
  switch (typeof value) {
    case 'bigint':
    case 'symbol':
      return false;
    case 'object': {
      if (value === null) return true;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!(i in value) || !plain(value[i], depth + 1)) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) return false;
      for (const key in value) if (!plain((value as Record<string, unknown>)[key], depth + 1)) return false;
      return true;
    }
    default:
      return true;
  }
}

// The globals live in a scope of their own above the variables: nothing ever sets into a parent
// scope, so sharing it between renders is safe, and a variable can never hide a global (a clash
// fails the interpreter's render, and falls back here).
const GLOBALS = new Scope(undefined);
for (const [name, value] of globals()) GLOBALS.vars.set(name, value);

function renderWith(body: Stmt, items: Record<string, unknown>): string {
  const root = new Scope(GLOBALS);
  for (const name in items) {
    if (!Object.hasOwn(items, name)) continue;
    const value = items[name];
    if (GLOBALS.vars.has(name) || !plain(value)) return unsupported(`variable ${name}`);
    root.vars.set(name, value);
  }
  return body(root);
}

export interface CompileOptions {
  /** Told each time a render fell back to the interpreter, with the reason (for tests and debugging). */
  onFallback?: (reason: unknown) => void;
}

/**
 * `template` as a render function over plain values, or undefined when it uses something outside
 * the compiled subset. A render the compiled code cannot finish exactly is redone by
 * `template.render`, which is pure, so the result (or error) is always the interpreter's.
 */
export function compileTemplate(template: Template, options: CompileOptions = {}): ((items: Record<string, unknown>) => string) | undefined {
  let body: Stmt;
  try {
    body = compileBlock(template.parsed.body as unknown as Node[]);
  } catch {
    // NotCompilable, or (were there one) a gap in this compiler: the interpreter renders it all.
    return undefined;
  }
  return (items) => {
    try {
      return renderWith(body, items);
    } catch (reason) {
      options.onFallback?.(reason);
      return template.render(items);
    }
  };
}
