/**
 * A tiny arithmetic evaluator for Countdown: integers, + - * /, parentheses. No `eval`: model
 * output never reaches the JS engine. Returns the value and the literals used, so the env can check
 * that each given number is used at most once.
 */
export class ArithmeticError extends Error {}

export interface Evaluation {
  value: number;
  literals: number[];
}

export function evaluate(expression: string): Evaluation {
  const tokens = expression.match(/\d+|[-+*/()]|\S/g) ?? [];
  let at = 0;
  const literals: number[] = [];
  const peek = (): string | undefined => tokens[at];
  const take = (): string | undefined => tokens[at++];

  function primary(): number {
    const token = take();
    if (token === undefined) throw new ArithmeticError('expression ends too early');
    if (token === '(') {
      const value = sum();
      if (take() !== ')') throw new ArithmeticError("missing ')'");
      return value;
    }
    if (token === '-') return -primary();
    if (!/^\d+$/.test(token)) throw new ArithmeticError(`unexpected '${token}'`);
    literals.push(Number(token));
    return Number(token);
  }
  function product(): number {
    let value = primary();
    while (peek() === '*' || peek() === '/') {
      const op = take();
      const right = primary();
      if (op === '/' && right === 0) throw new ArithmeticError('division by zero');
      value = op === '*' ? value * right : value / right;
    }
    return value;
  }
  function sum(): number {
    let value = product();
    while (peek() === '+' || peek() === '-') value = take() === '+' ? value + product() : value - product();
    return value;
  }

  if (tokens.length === 0) throw new ArithmeticError('empty expression');
  const value = sum();
  if (at < tokens.length) throw new ArithmeticError(`unexpected '${tokens[at]}'`);
  return { value, literals };
}

/** Whether `used` takes each number of `available` at most once (a multiset check). */
export function usesOnlyGiven(used: readonly number[], available: readonly number[]): boolean {
  const left = new Map<number, number>();
  for (const n of available) left.set(n, (left.get(n) ?? 0) + 1);
  for (const n of used) {
    const count = left.get(n) ?? 0;
    if (count === 0) return false;
    left.set(n, count - 1);
  }
  return true;
}

export function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(6)));
}
