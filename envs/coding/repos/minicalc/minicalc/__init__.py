"""A tiny expression language: numbers, variables, + - * / % ^, comparisons, functions."""
from .evaluator import CalcError, evaluate
from .lexer import LexError, lex
from .parser import ParseError, parse

__all__ = ["CalcError", "LexError", "ParseError", "evaluate", "lex", "parse"]
