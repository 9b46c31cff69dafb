"""A small text tokenizer with normalization, n-grams and a vocabulary."""
from .tokenize import Token, tokenize, words
from .vocab import Vocabulary

__all__ = ["Token", "tokenize", "words", "Vocabulary"]
