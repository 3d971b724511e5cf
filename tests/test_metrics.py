import math

import pytest
import torch

from seqattn_lib.metrics import accuracy, perplexity


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
