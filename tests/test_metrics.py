import math

import pytest
import torch

from seqattn_lib.metrics import (
    accuracy,
    bleu,
    chrf,
    hit_rate_at_k,
    mae,
    perplexity,
    recall_at_1,
    rmse,
    rouge_n,
    sequence_accuracy,
)


def test_perplexity_of_uniform_model():
    assert perplexity(math.log(65)) == pytest.approx(65)
    with pytest.raises(ValueError):
        perplexity(-1.0)


def test_accuracy_with_ignore_index():
    logits = torch.tensor([[[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]])
    targets = torch.tensor([[1, 1, 0]])
    assert accuracy(logits, targets) == pytest.approx(1 / 3)
    assert accuracy(logits, targets, ignore_index=0) == pytest.approx(1 / 2)
    with pytest.raises(ValueError, match=r"targets.shape \+ \(n_classes,\)"):
        accuracy(logits, targets[:, :2])
    with pytest.raises(ValueError, match="int dtype"):
        accuracy(logits, targets.float())


def test_exact_match_per_pair_and_bad_lengths():
    from seqattn_lib.metrics import exact_match

    ok = exact_match(["vier", "neun", "elf"], ["vier", "neunzig", "elf"])
    assert ok.tolist() == [True, False, True] and abs(ok.float().mean().item() - 2 / 3) < 1e-6
    with pytest.raises(ValueError, match="as many"):
        exact_match(["a"], ["a", "b"])
    with pytest.raises(ValueError):
        exact_match([], [])


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


def test_hit_rate_at_k():
    scores = torch.tensor([[0.1, 0.5, 0.3], [0.9, 0.2, -math.inf]])
    assert hit_rate_at_k(scores, torch.tensor([2, 1]), 1) == 0.0
    assert hit_rate_at_k(scores, torch.tensor([2, 1]), 2) == 1.0
    assert hit_rate_at_k(scores, torch.tensor([1, 2]), 2) == 0.5
    with pytest.raises(ValueError):
        hit_rate_at_k(scores, torch.tensor([1, 2, 0]), 1)
    with pytest.raises(ValueError):
        hit_rate_at_k(scores, torch.tensor([1, 2]), 4)


def test_sequence_accuracy_counts_whole_rows():
    pred = torch.tensor([[1, 2, 3], [1, 2, 4], [0, 0, 0]])
    target = torch.tensor([[1, 2, 3], [1, 2, 3], [0, 0, 0]])
    assert sequence_accuracy(pred, target) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="target must have shape"):
        sequence_accuracy(pred, target[:, :2])
    with pytest.raises(ValueError, match="pred must have a int dtype"):
        sequence_accuracy(pred.float(), target)


def test_mae_and_rmse():
    pred, target = torch.tensor([1.0, 2.0, 6.0]), torch.tensor([1.0, 4.0, 2.0])
    assert mae(pred, target) == pytest.approx(2.0)
    assert rmse(pred, target) == pytest.approx(math.sqrt(20 / 3))
    assert rmse(pred, target) >= mae(pred, target)
    with pytest.raises(ValueError, match="finite"):
        mae(torch.tensor([float("nan")]), torch.tensor([1.0]))
    with pytest.raises(ValueError, match="target must have shape"):
        rmse(pred, target[:2])


def test_rouge_n():
    ref = "leeds 3 - 1 york home win".split()
    assert rouge_n(ref, ref) == 1.0 and rouge_n(ref, ref, n=2) == 1.0
    assert rouge_n("york 1 - 3 leeds".split(), ref) == pytest.approx(2 * 5 / 5 * 5 / 7 / (1 + 5 / 7))
    assert rouge_n("york 1 - 3 leeds".split(), ref, n=2) == 0.0  # no bigram in common
    assert rouge_n("the the the the".split(), "the the cat".split()) == pytest.approx(2 * 0.5 * 2 / 3 / (0.5 + 2 / 3))
    with pytest.raises(ValueError, match="candidate"):
        rouge_n("a b c", ref)
    with pytest.raises(ValueError, match="n must be"):
        rouge_n(ref, ref, n=0)


def test_recall_at_1():
    scores = torch.tensor([[0.1, 0.9, 0.3], [0.5, 0.5, 0.0], [0.0, 0.2, 0.7]])
    assert recall_at_1(scores, [[1, 0, 2], [0, 1, 2], [2, 1, 0]]) == pytest.approx(2 / 3)  # the tie is a miss
    with pytest.raises(ValueError, match="candidates must hold ids"):
        recall_at_1(scores, [[3, 0], [0, 1], [2, 1]])
    with pytest.raises(ValueError, match="at least one other"):
        recall_at_1(scores, [[1], [0], [2]])



def test_chrf_perfect_partial_and_bad_input():
    refs = ["el principio crió dios los cielos"]
    assert chrf(refs, refs) == pytest.approx(100.0)
    near, far = chrf(["el principio creó dios los cielos"], refs), chrf(["y la tierra"], refs)
    assert 50 < near < 100 and far < near  # a nearly right word still earns character n-grams
    assert bleu(["el principio creó dios los cielos"], refs) < near
    for hyp, ref in ([], []), (["a"], ["a", "b"]), ("a", ["a"]):
        with pytest.raises(ValueError):
            chrf(hyp, ref)


def test_detection_delay_counts_alerts_before_the_change_and_the_delay_after():
    from seqattn_lib.metrics import detection_delay

    alarm = torch.tensor([True, True, False, False, True, False, False, False, True, True])
    assert detection_delay(alarm, 6) == (2, 2)  # two alerts (at 0 and at 4) before item 6, then on at 8
    assert detection_delay(alarm, 4) == (1, 0)  # on at the change itself: delay 0
    assert detection_delay(alarm, 9) == (3, 0)
    assert detection_delay(alarm, 10) == (3, math.inf)  # no change within the stream
    quiet = torch.zeros(5, dtype=torch.bool)
    assert detection_delay(quiet, 2) == (0, math.inf)  # missed
    assert detection_delay(torch.tensor([False, True, True, True]), 0) == (0, 1)
    for bad, name in (([True, False], "alarm"), (torch.tensor([1, 0]), "alarm"), (quiet[None], "alarm")):
        with pytest.raises(ValueError, match=name):
            detection_delay(bad, 1)
    for change_at in (-1, 6, 2.0, True, None):
        with pytest.raises(ValueError, match="change_at"):
            detection_delay(quiet, change_at)
