import pytest
import torch

from seqattn_lib.data.speech import concatenate_utterances, load_japanese_vowels, pad_utterances


def test_load_splits():
    utts, spk = load_japanese_vowels("train")
    assert len(utts) == 270 and spk.bincount().tolist() == [30] * 9
    assert all(u.shape[1] == 12 and 7 <= u.shape[0] <= 29 and u.dtype == torch.float32 for u in utts)
    test_utts, test_spk = load_japanese_vowels("test")
    assert len(test_utts) == 370 and set(test_spk.tolist()) == set(range(9))
    with pytest.raises(ValueError, match="split"):
        load_japanese_vowels("valid")


def test_pad_utterances():
    utts = [torch.randn(3, 4), torch.randn(5, 4)]
    x, mask = pad_utterances(utts)
    assert x.shape == (2, 5, 4) and mask.sum(1).tolist() == [3, 5]
    assert torch.equal(x[0, :3], utts[0]) and (x[0, 3:] == 0).all()
    with pytest.raises(ValueError, match="d="):
        pad_utterances([torch.randn(3, 4), torch.randn(3, 5)])
    with pytest.raises(ValueError):
        pad_utterances([])


def test_concatenate_utterances():
    utts = [torch.full((i + 2, 3), float(i)) for i in range(6)]
    spk = torch.tensor([0, 1, 2, 0, 1, 2])
    g = torch.Generator().manual_seed(0)
    seqs, targets = concatenate_utterances(utts, spk, 20, 3, g)
    for s, t in zip(seqs, targets):
        assert 1 <= len(t) <= 3 and s.shape[1] == 3
        # the frames are the utterances glued in order; each utterance i has value i and length i + 2
        values = s[:, 0].unique_consecutive().long()
        assert spk[values].tolist() == t.tolist() or len(values) < len(t)
    with pytest.raises(ValueError):
        concatenate_utterances(utts, spk[:3], 5)
