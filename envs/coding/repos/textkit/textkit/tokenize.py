"""Splits text into word, number and punctuation tokens with their character offsets."""
from dataclasses import dataclass

PUNCTUATION = set(".,;:!?()[]{}\"'-")


@dataclass(frozen=True)
class Token:
    kind: str  # "word" | "number" | "punct"
    text: str
    start: int

    @property
    def end(self):
        return self.start + len(self.text)


def _is_word_char(ch):
    return ch.isalpha() or ch == "_"


def tokenize(text):
    tokens = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        start = i
        if ch.isdigit():
            while i < n and text[i].isdigit():
                i += 1
            # a decimal part only when a digit follows the point
            if i + 1 < n and text[i] == "." and text[i + 1].isdigit():
                i += 1
                while i < n and text[i].isdigit():
                    i += 1
            tokens.append(Token("number", text[start:i], start))
        elif _is_word_char(ch):
            while i < n and (_is_word_char(text[i]) or text[i].isdigit()):
                i += 1
            # keep contractions such as don't as one word
            if i + 1 < n and text[i] == "'" and text[i + 1].isalpha():
                i += 1
                while i < n and text[i].isalpha():
                    i += 1
            tokens.append(Token("word", text[start:i], start))
        elif ch in PUNCTUATION:
            tokens.append(Token("punct", ch, start))
            i += 1
        else:
            i += 1  # other symbols are dropped
    return tokens


def words(text, lower=True):
    out = [t.text for t in tokenize(text) if t.kind == "word"]
    if lower:
        out = [w.lower() for w in out]
    return out


def sentences(text):
    """Split on . ! ? tokens; a sentence is the list of its word and number token texts."""
    result = []
    current = []
    for token in tokenize(text):
        if token.kind == "punct" and token.text in ".!?":
            if current:
                result.append(current)
            current = []
        elif token.kind != "punct":
            current.append(token.text)
    if current:
        result.append(current)
    return result
