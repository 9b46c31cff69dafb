"""Turns source text into (kind, text, position) tokens."""


class LexError(ValueError):
    pass


OPERATORS = ("<=", ">=", "==", "!=", "+", "-", "*", "/", "%", "^", "(", ")", ",", "<", ">")


def lex(text):
    tokens = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch.isdigit() or (ch == "." and i + 1 < len(text) and text[i + 1].isdigit()):
            start = i
            seen_dot = False
            while i < len(text) and (text[i].isdigit() or (text[i] == "." and not seen_dot)):
                if text[i] == ".":
                    seen_dot = True
                i += 1
            tokens.append(("number", text[start:i], start))
        elif ch.isalpha() or ch == "_":
            start = i
            while i < len(text) and (text[i].isalnum() or text[i] == "_"):
                i += 1
            tokens.append(("name", text[start:i], start))
        else:
            for op in OPERATORS:
                if text.startswith(op, i):
                    tokens.append(("op", op, i))
                    i += len(op)
                    break
            else:
                raise LexError(f"unexpected {ch!r} at {i}")
    tokens.append(("end", "", len(text)))
    return tokens
