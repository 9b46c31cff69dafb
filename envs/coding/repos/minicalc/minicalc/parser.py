"""Recursive-descent parser producing tuples:
("num", value) ("var", name) ("neg", x) ("bin", op, left, right) ("call", name, [args]).

Precedence, lowest first: comparisons; + -; * / %; unary -; ^ (right-associative).
"""
from .lexer import lex


class ParseError(ValueError):
    pass


class _Parser:
    def __init__(self, tokens):
        self.tokens = tokens
        self.pos = 0

    def peek(self):
        return self.tokens[self.pos]

    def take(self, text=None):
        token = self.tokens[self.pos]
        if text is not None and token[1] != text:
            raise ParseError(f"expected {text!r} at {token[2]}, found {token[1] or 'end'!r}")
        self.pos += 1
        return token

    def expression(self):
        left = self.additive()
        while self.peek()[1] in ("<", "<=", ">", ">=", "==", "!="):
            op = self.take()[1]
            left = ("bin", op, left, self.additive())
        return left

    def additive(self):
        left = self.term()
        while self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            left = ("bin", op, left, self.term())
        return left

    def term(self):
        left = self.unary()
        while self.peek()[1] in ("*", "/", "%"):
            op = self.take()[1]
            left = ("bin", op, left, self.unary())
        return left

    def unary(self):
        if self.peek()[1] == "-":
            self.take()
            return ("neg", self.unary())
        return self.power()

    def power(self):
        base = self.atom()
        if self.peek()[1] == "^":
            self.take()
            return ("bin", "^", base, self.unary())
        return base

    def atom(self):
        kind, text, position = self.take()
        if kind == "number":
            return ("num", float(text) if "." in text else int(text))
        if kind == "name":
            if self.peek()[1] == "(":
                self.take("(")
                args = []
                if self.peek()[1] != ")":
                    args.append(self.expression())
                    while self.peek()[1] == ",":
                        self.take()
                        args.append(self.expression())
                self.take(")")
                return ("call", text, args)
            return ("var", text)
        if text == "(":
            inner = self.expression()
            self.take(")")
            return inner
        raise ParseError(f"unexpected {text or 'end'!r} at {position}")


def parse(text):
    parser = _Parser(lex(text))
    tree = parser.expression()
    if parser.peek()[0] != "end":
        token = parser.peek()
        raise ParseError(f"unexpected {token[1]!r} at {token[2]}")
    return tree
