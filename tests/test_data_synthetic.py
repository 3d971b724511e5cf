"""The adding problem and copy-memory generators: shapes, targets, baselines, errors."""

import math

import pytest
import torch

from seqattn_lib.data.synthetic import ADDING_BASELINE_MSE, adding_problem, copy_memory, copy_memory_baseline


def test_adding_problem_shapes_and_targets():
    x, y = adding_problem(16, 20, torch.Generator().manual_seed(0))
    assert x.shape == (16, 20, 2) and y.shape == (16,)
    markers = x[..., 1]
    assert torch.all(markers.sum(1) == 2)
    assert torch.all(markers[:, :10].sum(1) == 1) and torch.all(markers[:, 10:].sum(1) == 1)
    assert torch.allclose(y, (x[..., 0] * markers).sum(1))
    assert torch.all((x[..., 0] >= 0) & (x[..., 0] < 1))


def test_adding_problem_repeatable_and_baseline():
    a = adding_problem(4, 10, torch.Generator().manual_seed(5))
    b = adding_problem(4, 10, torch.Generator().manual_seed(5))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    _, y = adding_problem(20000, 10, torch.Generator().manual_seed(1))
    assert abs(((y - 1) ** 2).mean().item() - ADDING_BASELINE_MSE) < 0.01


def test_copy_memory():
    x, y = copy_memory(3, 12, n_symbols=5, length=4, generator=torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (3, 20) and x.dtype == torch.long
    assert torch.all((x[:, :4] >= 1) & (x[:, :4] <= 5))
    assert torch.all(x[:, 15] == 6) and torch.all(x[:, 4:15] == 0) and torch.all(x[:, 16:] == 0)
    assert torch.equal(y[:, 16:], x[:, :4]) and torch.all(y[:, :16] == 0)
    assert copy_memory_baseline(12, 5, 4) == pytest.approx(4 * math.log(5) / 20)


@pytest.mark.parametrize(
    "call",
    [
        lambda: adding_problem(0, 10),
        lambda: adding_problem(4, 1),
        lambda: adding_problem(4, 2.5),
        lambda: adding_problem(4, 10, generator=3),
        lambda: copy_memory(4, 0),
        lambda: copy_memory(4, 10, n_symbols=1),
        lambda: copy_memory_baseline(10, length=-1),
    ],
)
def test_bad_arguments_raise(call):
    with pytest.raises(ValueError):
        call()
