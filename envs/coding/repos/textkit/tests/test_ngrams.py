import pytest

from textkit.ngrams import char_shingles, jaccard, most_common, ngrams


def test_bigrams():
    assert ngrams(["a", "b", "c"], 2) == [("a", "b"), ("b", "c")]


def test_unigrams():
    assert ngrams(["a", "b"], 1) == [("a",), ("b",)]


def test_ngrams_longer_than_input():
    assert ngrams(["a"], 3) == []


def test_ngrams_exact_length():
    assert ngrams(["a", "b", "c"], 3) == [("a", "b", "c")]


def test_ngrams_rejects_zero():
    with pytest.raises(ValueError):
        ngrams(["a"], 0)


def test_shingles():
    assert char_shingles("cat") == ["#ca", "cat", "at#"]


def test_shingles_short_word():
    assert char_shingles("", n=3) == ["##"]


def test_jaccard_identical():
    assert jaccard(["a", "b"], ["b", "a"]) == 1.0


def test_jaccard_half():
    assert jaccard(["a", "b"], ["b", "c", "a", "d"]) == 0.5


def test_jaccard_disjoint():
    assert jaccard(["a"], ["b"]) == 0.0


def test_jaccard_both_empty():
    assert jaccard([], []) == 1.0


def test_most_common():
    assert most_common(list("abracadabra"), 2) == [("a", 5), ("b", 2)]


def test_most_common_tie_first_seen():
    assert most_common(["y", "x", "x", "y", "z"], 3) == [("y", 2), ("x", 2), ("z", 1)]
