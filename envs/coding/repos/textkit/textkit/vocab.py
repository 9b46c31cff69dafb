"""Maps tokens to integer ids, with reserved ids for padding and unknown tokens."""

PAD, UNK = "<pad>", "<unk>"


class Vocabulary:
    def __init__(self, tokens=(), min_count=1, max_size=None):
        counts = {}
        for token in tokens:
            counts[token] = counts.get(token, 0) + 1
        kept = [t for t, c in counts.items() if c >= min_count]
        kept.sort(key=lambda t: (-counts[t], t))
        if max_size is not None:
            kept = kept[: max(0, max_size - 2)]
        self.itos = [PAD, UNK] + kept
        self.stoi = {t: i for i, t in enumerate(self.itos)}

    def __len__(self):
        return len(self.itos)

    def __contains__(self, token):
        return token in self.stoi

    def id(self, token):
        return self.stoi.get(token, 1)

    def token(self, index):
        if index < 0 or index >= len(self.itos):
            raise IndexError(f"no token with id {index}")
        return self.itos[index]

    def encode(self, tokens, length=None):
        """Ids of tokens, truncated or right-padded with the pad id to `length`."""
        ids = [self.id(t) for t in tokens]
        if length is not None:
            if len(ids) > length:
                ids = ids[:length]
            else:
                ids = ids + [0] * (length - len(ids))
        return ids

    def decode(self, ids, skip_pad=True):
        return [self.token(i) for i in ids if not (skip_pad and i == 0)]
