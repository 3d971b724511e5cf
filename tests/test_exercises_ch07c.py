import math

import torch
import torch.nn.functional as F

from seqattn_lib.exercises.ch07c import SOLUTIONS, check_smoothed_cross_entropy, check_transformer_lr

GARBAGE = [lambda *a: None, lambda *a: 1 / 0, "not a function"]

lr_ref = SOLUTIONS["transformer_lr"]
smooth_ref = SOLUTIONS["smoothed_cross_entropy"]


def test_transformer_lr_checker():
    assert check_transformer_lr(lr_ref)
    wrongs = [
        lambda n, d, w: d**-0.5 * max(n**-0.5, n * w**-1.5),  # max instead of min
        lambda n, d, w: d**-0.5 * min((n + 1) ** -0.5, (n + 1) * w**-1.5),  # steps counted from 0
        lambda n, d, w: min(n**-0.5, n * w**-1.5),  # no d_model scaling
        lambda n, d, w: d**-0.5 * min(n**-0.5, n / w),  # linear warm-up to 1, not to the decay curve
        lambda n, d, w: torch.tensor([lr_ref(n, d, w), 0.0]),  # not a number
        *GARBAGE,
    ]
    for wrong in wrongs:
        assert not check_transformer_lr(wrong)


def test_transformer_lr_reference_peaks_at_warmup():
    rates = [lr_ref(n, 512, 4000) for n in range(1, 12_001)]
    assert rates.index(max(rates)) == 3999 and math.isclose(max(rates), 512**-0.5 * 4000**-0.5)


def test_smoothed_cross_entropy_checker():
    assert check_smoothed_cross_entropy(smooth_ref)

    def over_wrong_classes(logits, targets, eps):  # eps / (C - 1) on each wrong class: not PyTorch's convention
        log_p = F.log_softmax(logits, -1)
        target = torch.full_like(log_p, eps / (logits.shape[-1] - 1)).scatter(-1, targets[:, None], 1 - eps)
        return -(target * log_p).sum(-1).mean()

    wrongs = [
        lambda x, y, eps: F.cross_entropy(x, y),  # no smoothing
        lambda x, y, eps: smooth_ref(x, y, eps) * (1 - eps),  # drops the uniform term's share
        lambda x, y, eps: (1 - eps) * F.cross_entropy(x, y) + eps * (-F.log_softmax(x, -1).sum(-1)).mean(),  # sum
        over_wrong_classes,
        lambda x, y, eps: smooth_ref(x, y, eps).detach(),
        lambda x, y, eps: smooth_ref(x, y, eps)[None],  # shape (1,)
        *GARBAGE,
    ]
    for wrong in wrongs:
        assert not check_smoothed_cross_entropy(wrong)
