from textkit import Token, tokenize, words
from textkit.tokenize import sentences


def test_simple_words():
    assert words("Hello world") == ["hello", "world"]


def test_words_keep_case():
    assert words("Hello World", lower=False) == ["Hello", "World"]


def test_offsets():
    assert [t.start for t in tokenize("ab  cd")] == [0, 4]


def test_token_end():
    assert Token("word", "abc", 5).end == 8


def test_integer():
    assert tokenize("42") == [Token("number", "42", 0)]


def test_decimal():
    assert [t.text for t in tokenize("pi is 3.14")] == ["pi", "is", "3.14"]


def test_number_then_period():
    assert [t.text for t in tokenize("7.")] == ["7", "."]


def test_punctuation_tokens():
    assert [t.kind for t in tokenize("a, b!")] == ["word", "punct", "word", "punct"]


def test_contraction_is_one_word():
    assert words("don't stop") == ["don't", "stop"]


def test_trailing_apostrophe_is_punct():
    assert [t.text for t in tokenize("dogs' bones")] == ["dogs", "'", "bones"]


def test_word_with_digits():
    assert words("abc123 x") == ["abc123", "x"]


def test_underscore_word():
    assert words("snake_case") == ["snake_case"]


def test_symbols_dropped():
    assert [t.text for t in tokenize("a @ b")] == ["a", "b"]


def test_empty():
    assert tokenize("") == []


def test_sentences():
    assert sentences("One two. Three! Four?") == [["One", "two"], ["Three"], ["Four"]]


def test_sentences_without_final_stop():
    assert sentences("a b. c d") == [["a", "b"], ["c", "d"]]


def test_sentences_skip_empty():
    assert sentences("...hi") == [["hi"]]
