import pytest

from textkit import Vocabulary


def test_reserved_ids():
    v = Vocabulary(["a"])
    assert v.itos[:2] == ["<pad>", "<unk>"]


def test_ordered_by_frequency():
    v = Vocabulary(["b", "a", "a", "c", "c", "c"])
    assert v.itos[2:] == ["c", "a", "b"]


def test_ties_alphabetical():
    v = Vocabulary(["y", "x"])
    assert v.itos[2:] == ["x", "y"]


def test_min_count():
    v = Vocabulary(["a", "a", "b"], min_count=2)
    assert "b" not in v
    assert "a" in v


def test_max_size_counts_reserved():
    v = Vocabulary(["a", "a", "b", "c"], max_size=3)
    assert len(v) == 3


def test_unknown_maps_to_unk():
    assert Vocabulary(["a"]).id("zzz") == 1


def test_encode():
    v = Vocabulary(["a", "b", "b"])
    assert v.encode(["b", "a", "q"]) == [2, 3, 1]


def test_encode_pads():
    v = Vocabulary(["a"])
    assert v.encode(["a"], length=3) == [2, 0, 0]


def test_encode_truncates():
    v = Vocabulary(["a"])
    assert v.encode(["a", "a", "a"], length=2) == [2, 2]


def test_encode_exact_length():
    v = Vocabulary(["a"])
    assert v.encode(["a", "a"], length=2) == [2, 2]


def test_decode_skips_pad():
    v = Vocabulary(["a"])
    assert v.decode([2, 0, 0]) == ["a"]


def test_decode_keeps_pad():
    v = Vocabulary(["a"])
    assert v.decode([2, 0], skip_pad=False) == ["a", "<pad>"]


def test_token_out_of_range():
    with pytest.raises(IndexError):
        Vocabulary(["a"]).token(3)


def test_token_last():
    assert Vocabulary(["a"]).token(2) == "a"


def test_negative_id_rejected():
    with pytest.raises(IndexError):
        Vocabulary(["a"]).token(-1)
