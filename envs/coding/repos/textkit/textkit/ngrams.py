"""N-grams, shingles and similarity over token lists."""


def ngrams(items, n):
    if n < 1:
        raise ValueError("n must be at least 1")
    return [tuple(items[i : i + n]) for i in range(len(items) - n + 1)]


def char_shingles(word, n=3, pad="#"):
    """Character n-grams of a word padded on both sides, e.g. '#ca', 'cat', 'at#' for cat."""
    padded = pad + word + pad
    if len(padded) < n:
        return [padded]
    return ["".join(g) for g in ngrams(list(padded), n)]


def jaccard(a, b):
    left, right = set(a), set(b)
    if not left and not right:
        return 1.0
    return len(left & right) / len(left | right)


def most_common(items, k):
    """The k most frequent items with counts; ties broken by first appearance."""
    counts = {}
    first = {}
    for index, item in enumerate(items):
        counts[item] = counts.get(item, 0) + 1
        if item not in first:
            first[item] = index
    ranked = sorted(counts, key=lambda item: (-counts[item], first[item]))
    return [(item, counts[item]) for item in ranked[:k]]
