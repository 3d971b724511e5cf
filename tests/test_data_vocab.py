import pytest

from seqattn_lib.data.vocab import SubwordTokenizer, Vocab, pad_batch, tokenize_chars, tokenize_words


def test_tokenizers():
    assert tokenize_chars("ab c") == ["a", "b", " ", "c"]
    assert tokenize_words("Hello, world! Don't") == ["hello", ",", "world", "!", "don't"]
    with pytest.raises(ValueError):
        tokenize_words(None)


def test_vocab_order_and_roundtrip():
    v = Vocab([["b", "a", "a"], ["c", "a", "b"]], specials=True)
    assert v.itos[:4] == ["<pad>", "<unk>", "<bos>", "<eos>"]
    assert v.itos[4:] == ["a", "b", "c"]  # by frequency, then alphabetically
    ids = v.encode(["a", "c", "zz"], bos=True, eos=True)
    assert ids == [v.bos_id, 4, 6, v.unk_id, v.eos_id]
    assert v.decode(ids + [0, 0]) == ["a", "c", "<unk>"]
    with pytest.raises(ValueError, match="outside the vocabulary"):
        v.decode([99])


def test_min_freq_and_no_specials():
    v = Vocab("aab", min_freq=2)
    assert len(v) == 3 and v.encode("ab") == [2, v.unk_id]
    with pytest.raises(ValueError, match="specials=True"):
        _ = v.bos_id


def test_pad_batch():
    ids, lengths = pad_batch([[5, 6, 7], [8]], pad_id=0)
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0]] and lengths.tolist() == [3, 1]
    with pytest.raises(ValueError, match="at least one token"):
        pad_batch([[1], []])


TEXTS = ["the sanctuary of the lord", "the lord is my shepherd", "and the earth was without form"] * 20


def test_subwords_round_trip_and_split_rare_words():
    tok = SubwordTokenizer(TEXTS, vocab_size=60)
    assert len(tok) == 60
    for text in ("The Lord is my shepherd", "sanctuary shepherds"):
        pieces = tok(text)
        assert all(isinstance(p, str) for p in pieces)
        assert tok.detokenize(pieces) == text.lower()  # lower-cased, nothing lost
    assert len(tok("shepherds")) > 1  # an unseen word is written with several known pieces
    assert tok("the")[0] == "\u2581the"  # a frequent word is one piece, marked as a word start
    assert SubwordTokenizer(TEXTS, vocab_size=60)("sanctuary") == tok("sanctuary")  # deterministic
    assert SubwordTokenizer(TEXTS, 60, lower=False)("The") != tok("The")


@pytest.mark.parametrize("texts, size", [([], 50), ("abc", 50), ([1, 2], 50), (TEXTS, 0), (TEXTS, 100000)])
def test_subwords_refuse_bad_input(texts, size):
    with pytest.raises(ValueError):
        SubwordTokenizer(texts, size)


def test_subwords_refuse_non_strings():
    tok = SubwordTokenizer(TEXTS, vocab_size=60)
    with pytest.raises(TypeError, match="text"):
        tok(["the"])
    with pytest.raises(ValueError, match="pieces"):
        tok.detokenize("the")
