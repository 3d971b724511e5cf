import pytest

from seqattn_lib.metrics import bleu


def test_bleu_perfect_and_zero():
    refs = ["the cat sat on the mat", "a dog ran in the park today"]
    assert bleu(refs, refs) == pytest.approx(100.0)
    assert bleu(["xyz qqq", "zzz"], refs) < 1.0


def test_bleu_partial_between():
    refs = ["the cat sat on the mat today"]
    assert 0 < bleu(["the cat sat on a mat today"], refs) < 100


@pytest.mark.parametrize("hyp, ref", [([], []), (["a"], ["a", "b"]), ("a", ["a"]), ([1], ["a"])])
def test_bleu_bad_input(hyp, ref):
    with pytest.raises(ValueError):
        bleu(hyp, ref)


def test_bleu_pretokenised():
    refs = ["el cual no , y para ."]
    assert bleu(refs, refs, tokenize="none") == pytest.approx(100.0)
    with pytest.raises(ValueError):
        bleu(refs, refs, tokenize="bpe")
