import torch

from seqattn_lib.exercises.ch06a import SOLUTIONS, check_sequence_accuracy, check_straight_through_gumbel


def test_sequence_accuracy():
    assert check_sequence_accuracy(SOLUTIONS["sequence_accuracy"])
    assert not check_sequence_accuracy(lambda p, t: float((p == t).float().mean()))  # word accuracy
    assert not check_sequence_accuracy(lambda p, t: float((p == t).any(1).float().mean()))
    assert not check_sequence_accuracy(lambda p, t: None)
    assert not check_sequence_accuracy(lambda p, t: 1 / 0)
    assert not check_sequence_accuracy("not a function")


# straight-through Gumbel-softmax ------------------------------------------------------------
def _st(scores, u, tau, value="hard", noise=True, grad="soft"):
    g = -torch.log(-torch.log(u)) if noise else 0.0
    y = torch.softmax((scores + g) / tau, dim=-1)
    z = torch.nn.functional.one_hot(y.argmax(-1), scores.shape[-1]).to(y.dtype)
    if value == "soft":
        return y
    if grad == "none":
        return z
    return y + (z - y).detach()


def test_straight_through_gumbel():
    check = check_straight_through_gumbel
    assert check(SOLUTIONS["straight_through_gumbel"])
    assert not check(lambda s, u, tau: _st(s, u, tau, value="soft"))  # returns the relaxation, not the sample
    assert not check(lambda s, u, tau: _st(s, u, tau, noise=False))  # forgets the noise: always the argmax
    assert not check(lambda s, u, tau: _st(s, u, tau, grad="none"))  # one-hot without the gradient path
    assert not check(lambda s, u, tau: _st(s, -torch.log(u), tau))  # wrong noise: -log u is not Gumbel
    assert not check(lambda s, u, tau: _st(s * tau, u, 1.0))  # multiplies by tau instead of dividing
    assert not check(lambda s, u, tau: None)

