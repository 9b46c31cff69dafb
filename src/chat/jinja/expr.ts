/**
 * Expressions of a chat template's AST compiled to closures over plain values (see
 * compile.ts for the whole and values.ts for the value mapping). Evaluation order
 * follows the interpreter's: a call's arguments before its callee, a slice's object before its
 * bounds, `and`/`or` short-circuiting to an operand.
 */
import { PhysarumError } from '../../protocol/errors.ts';
import { GlobalFn, float, kindOf, sliceOf, toStr, truthy, tuples, unsupported, type Obj } from './values.ts';
import { OBJECT_METHODS, TESTS, binary, member, unary } from './ops.ts';
import { callFilter, plainFilter } from './builtins.ts';
import { objectMethod, stringMethod, type Kwargs } from './methods.ts';
import type { Scope } from './scope.ts';

export type Node = { type: string } & Record<string, any>;
export type Expr = (s: Scope) => unknown;

/** The template uses something outside the compiled subset. */
export class NotCompilable extends PhysarumError {
  constructor(why: string) {
    super('PHYSARUM_TEMPLATE', why);
  }
}
export const notCompilable = (why: string): never => {
  throw new NotCompilable(why);
};

/** What a statement prints: null and undefined print nothing. */
export function print(v: unknown): string {
  return v === null || v === undefined ? '' : toStr(v);
}

interface Args {
  positional: Expr[];
  keywords: Array<[string, Expr]>;
}

function compileArgs(nodes: Node[]): Args {
  const args: Args = { positional: [], keywords: [] };
  for (const node of nodes) {
    if (node.type === 'KeywordArgumentExpression') {
      const name = node.key.value as string;
      if (args.keywords.some(([k]) => k === name)) notCompilable('a repeated keyword');
      args.keywords.push([name, compileExpr(node.value)]);
    } else if (node.type === 'SpreadExpression' || node.type === 'KeywordSpreadExpression') notCompilable('a spread argument');
    else args.positional.push(compileExpr(node));
  }
  return args;
}

function evalArgs(a: Args, s: Scope): [unknown[], Kwargs] {
  const positional = a.positional.map((e) => e(s));
  const keywords: Kwargs = new Map();
  for (const [k, e] of a.keywords) keywords.set(k, e(s));
  return [positional, keywords];
}

export function compileFilter(node: Node): (v: unknown, s: Scope) => unknown {
  if (node.type === 'Identifier') {
    const name = node.value as string;
    return (v) => plainFilter(name, v);
  }
  if (node.type !== 'CallExpression' || node.callee.type !== 'Identifier') return notCompilable('a filter');
  const name = node.callee.value as string;
  if (name === 'selectattr' || name === 'rejectattr') {
    if ((node.args as Node[]).some((a) => a.type !== 'StringLiteral')) return notCompilable(`${name} with non-literal arguments`);
  }
  const args = compileArgs(node.args);
  return (v, s) => {
    const [positional, keywords] = evalArgs(args, s);
    return callFilter(name, v, positional, keywords);
  };
}

function compileCall(node: Node): Expr {
  const args = compileArgs(node.args);
  const callee = node.callee as Node;
  if (callee.type === 'MemberExpression' && !(callee.computed && callee.property.type === 'SliceExpression')) {
    const object = compileExpr(callee.object);
    const key = memberKey(callee);
    return (s) => {
      const [positional, keywords] = evalArgs(args, s);
      const o = object(s);
      const k = key(s);
      if (typeof k === 'string') {
        if (typeof o === 'string') return stringMethod(o, k, positional, keywords);
        if (kindOf(o) === 'object' && !Object.hasOwn(o as Obj, k) && OBJECT_METHODS.has(k)) return objectMethod(o as Obj, k, positional, keywords);
      }
      const fn = member(o, k);
      return fn instanceof GlobalFn ? fn.call(positional, keywords, s) : unsupported('calling a non-builtin');
    };
  }
  const fnExpr = compileExpr(callee);
  return (s) => {
    const [positional, keywords] = evalArgs(args, s);
    const fn = fnExpr(s);
    return fn instanceof GlobalFn ? fn.call(positional, keywords, s) : unsupported('calling a non-builtin');
  };
}

/** The key of `a.b`, `a.0` or `a[expr]`. */
function memberKey(node: Node): Expr {
  if (node.computed) return compileExpr(node.property);
  const key = node.property.type === 'IntegerLiteral' ? (node.property.value as number) : (node.property.value as string);
  return () => key;
}

function compileSlice(object: Expr, node: Node): Expr {
  const part = (n: Node | undefined): Expr => (n ? compileExpr(n) : () => undefined);
  const [start, stop, step] = [part(node.start), part(node.stop), part(node.step)];
  return (s) => {
    const o = object(s);
    const bounds = [start(s), stop(s), step(s)] as Array<number | undefined>;
    if (bounds.some((b) => b !== undefined && kindOf(b) !== 'int')) return unsupported('a slice bound');
    if (Array.isArray(o)) return sliceOf(o, bounds[0], bounds[1], bounds[2]);
    if (typeof o === 'string') return sliceOf(Array.from(o), bounds[0], bounds[1], bounds[2]).join('');
    return unsupported('slicing a non-sequence');
  };
}

function constant(value: unknown): Expr {
  return () => value;
}

export function compileExpr(node: Node): Expr {
  switch (node.type) {
    case 'IntegerLiteral':
    case 'StringLiteral':
      return constant(node.value);
    case 'FloatLiteral': {
      const value = node.value as number;
      return () => float(value);
    }
    case 'ArrayLiteral': {
      const items = (node.value as Node[]).map(compileExpr);
      return (s) => items.map((e) => e(s));
    }
    case 'TupleLiteral': {
      const items = (node.value as Node[]).map(compileExpr);
      return (s) => {
        const tuple = items.map((e) => e(s));
        tuples.add(tuple);
        return tuple;
      };
    }
    case 'ObjectLiteral': {
      const entries = [...(node.value as Map<Node, Node>)].map(([k, v]) => [compileExpr(k), compileExpr(v)] as const);
      return (s) => {
        const out: Obj = Object.create(null) as Obj;
        for (const [k, v] of entries) {
          const key = k(s);
          // Integer-like keys would reorder in a JS object; the interpreter's Map keeps insertion order.
          if (typeof key !== 'string' || /^\d+$/.test(key)) return unsupported('an object key');
          out[key] = v(s);
        }
        return out;
      };
    }
    case 'Identifier': {
      const name = node.value as string;
      return (s) => s.lookup(name);
    }
    case 'MemberExpression': {
      const object = compileExpr(node.object);
      if (node.computed && node.property.type === 'SliceExpression') return compileSlice(object, node.property);
      if (!node.computed && node.property.type === 'Identifier') {
        // `a.name`, the commonest read: a plain mapping's own key without the general dispatch.
        const name = node.property.value as string;
        return (s) => {
          const o = object(s);
          if (typeof o === 'object' && o !== null && Object.getPrototypeOf(o) === Object.prototype && Object.hasOwn(o, name)) return (o as Obj)[name];
          return member(o, name);
        };
      }
      const key = memberKey(node);
      return (s) => member(object(s), key(s));
    }
    case 'CallExpression':
      return compileCall(node);
    case 'UnaryExpression': {
      const op = node.operator.value as string;
      const argument = compileExpr(node.argument);
      return (s) => unary(op, argument(s));
    }
    case 'BinaryExpression': {
      const op = node.operator.value as string;
      const left = compileExpr(node.left);
      const right = compileExpr(node.right);
      // `and`/`or` give an operand, not a boolean, and evaluate the right one only when needed.
      if (op === 'and')
        return (s) => {
          const l = left(s);
          return truthy(l) ? right(s) : l;
        };
      if (op === 'or')
        return (s) => {
          const l = left(s);
          return truthy(l) ? l : right(s);
        };
      if (op === '+' || op === '==' || op === '!=')
        // Strings on both sides, the commonest case in chat templates, need no dispatch.
        return (s) => {
          const l = left(s);
          const r = right(s);
          if (typeof l === 'string' && typeof r === 'string') return op === '+' ? l + r : op === '==' ? l === r : l !== r;
          return binary(op, l, r);
        };
      return (s) => binary(op, left(s), right(s));
    }
    case 'FilterExpression': {
      const operand = compileExpr(node.operand);
      const filter = compileFilter(node.filter);
      return (s) => filter(operand(s), s);
    }
    case 'TestExpression': {
      const name = node.test.value as string;
      const test = Object.hasOwn(TESTS, name) ? TESTS[name]! : notCompilable(`test ${name}`);
      const operand = compileExpr(node.operand);
      return node.negate ? (s) => !test(operand(s)) : (s) => test(operand(s));
    }
    case 'SelectExpression': {
      const test = compileExpr(node.test);
      const lhs = compileExpr(node.lhs);
      return (s) => (truthy(test(s)) ? lhs(s) : undefined);
    }
    case 'Ternary': {
      const condition = compileExpr(node.condition);
      const yes = compileExpr(node.trueExpr);
      const no = compileExpr(node.falseExpr);
      return (s) => (truthy(condition(s)) ? yes(s) : no(s));
    }
    default:
      return notCompilable(`node ${node.type}`);
  }
}

