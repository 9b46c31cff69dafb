/**
 * Scopes and `for` loops as the interpreter has them. A loop body runs in one scope made for the
 * loop (not one per iteration), so a `set` in the body is seen by later iterations and gone after
 * the loop. A `for ... if` filter is tested first over every item, each in a scope of its own,
 * and `loop` counts the items that pass. An iteration ended by `continue`/`break` loses what it
 * printed, and the `else` block runs when no iteration ran to its end.
 */
import { kindOf, truthy, unsupported, type Obj } from './values.ts';
import { notCompilable, type Expr, type Node } from './expr.ts';
import { Scope } from './scope.ts';

type Stmt = (s: Scope) => string;

export const BREAK = { control: 'break' };
export const CONTINUE = { control: 'continue' };

function hasControl(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some(hasControl);
  if (value instanceof Map) return [...value].some(([k, v]) => hasControl(k) || hasControl(v));
  const node = value as Node;
  if (node.type === 'Break' || node.type === 'Continue') return true;
  return Object.values(node).some(hasControl);
}

/** Binds the loop variable(s) to one item; unpacking checks every item up front, as there. */
function binder(loopvar: Node): (scope: Scope, item: unknown) => void {
  if (loopvar.type === 'Identifier') {
    const name = loopvar.value as string;
    return (scope, item) => scope.vars.set(name, item);
  }
  if (loopvar.type !== 'TupleLiteral' || (loopvar.value as Node[]).some((n) => n.type !== 'Identifier')) notCompilable('a loop variable');
  const names = (loopvar.value as Node[]).map((n) => n.value as string);
  return (scope, item) => {
    const list = item as unknown[];
    for (let j = 0; j < names.length; j++) scope.vars.set(names[j]!, list[j]);
  };
}

export function compileFor(node: Node, compileExpr: (n: Node) => Expr, compileBlock: (n: Node[] | undefined) => Stmt): Stmt {
  const select = node.iterable.type === 'SelectExpression' ? (node.iterable as Node) : undefined;
  const iterable = compileExpr(select ? select.lhs : node.iterable);
  const test = select ? compileExpr(select.test) : undefined;
  const bind = binder(node.loopvar);
  const unpack = node.loopvar.type === 'TupleLiteral' ? (node.loopvar.value as Node[]).length : -1;
  const body = compileBlock(node.body);
  const otherwise = compileBlock(node.defaultBlock);
  const control = hasControl(node.body);
  return (outer) => {
    const scope = new Scope(outer);
    const source = iterable(scope);
    const kind = kindOf(source);
    let items: unknown[];
    if (kind === 'array' || kind === 'tuple') items = source as unknown[];
    else if (kind === 'object') items = Object.keys(source as Obj);
    else return unsupported(`iterating a ${kind}`);
    if (unpack >= 0 && items.some((item) => kindOf(item) !== 'array' || (item as unknown[]).length !== unpack)) return unsupported('loop unpacking');
    if (test)
      items = items.filter((item) => {
        const own = new Scope(scope);
        bind(own, item);
        return truthy(test(own));
      });
    let out = '';
    let ran = false;
    const n = items.length;
    for (let i = 0; i < n; i++) {
      const loop = {
        index: i + 1, index0: i, revindex: n - i, revindex0: n - i - 1, first: i === 0, last: i === n - 1, length: n,
        previtem: i > 0 ? items[i - 1] : undefined, nextitem: i < n - 1 ? items[i + 1] : undefined,
      };
      scope.vars.set('loop', loop);
      bind(scope, items[i]);
      if (!control) out += body(scope);
      else {
        try {
          out += body(scope);
        } catch (signal) {
          if (signal === CONTINUE) continue;
          if (signal === BREAK) break;
          throw signal;
        }
      }
      ran = true;
    }
    if (!ran) out += otherwise(scope);
    return out;
  };
}
