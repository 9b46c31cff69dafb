"""Evaluates parse trees; comparisons give 1 or 0."""
import math

from .parser import parse


class CalcError(ValueError):
    pass


FUNCTIONS = {
    "abs": (1, abs),
    "min": (None, min),
    "max": (None, max),
    "sqrt": (1, math.sqrt),
    "clamp": (3, lambda x, lo, hi: lo if x < lo else hi if x > hi else x),
}


def _binary(op, a, b):
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        if b == 0:
            raise CalcError("division by zero")
        result = a / b
        return int(result) if result == int(result) else result
    if op == "%":
        if b == 0:
            raise CalcError("modulo by zero")
        return a % b
    if op == "^":
        return a**b
    comparisons = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b, "!=": a != b}
    return 1 if comparisons[op] else 0


def _eval(node, env):
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "var":
        if node[1] not in env:
            raise CalcError(f"unknown variable {node[1]}")
        return env[node[1]]
    if kind == "neg":
        return -_eval(node[1], env)
    if kind == "bin":
        return _binary(node[1], _eval(node[2], env), _eval(node[3], env))
    name, args = node[1], node[2]
    if name not in FUNCTIONS:
        raise CalcError(f"unknown function {name}")
    arity, func = FUNCTIONS[name]
    if arity is not None and len(args) != arity:
        raise CalcError(f"{name} takes {arity} arguments, got {len(args)}")
    if arity is None and not args:
        raise CalcError(f"{name} needs at least one argument")
    values = [_eval(a, env) for a in args]
    if name == "sqrt" and values[0] < 0:
        raise CalcError("sqrt of a negative number")
    return func(*values)


def evaluate(text, **env):
    return _eval(parse(text), env)
