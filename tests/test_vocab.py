import pytest

from seqattn_lib.data.vocab import Vocab, pad_batch, tokenize_chars, tokenize_words


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
