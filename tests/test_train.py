import math

import pytest
import torch
from torch import nn

from seqattn_lib.checks import ArgumentTypeError
from seqattn_lib.train import (
    History,
    count_parameters,
    learning_rates,
    linear_decay,
    train,
    warmup_cosine,
    warmup_inverse_sqrt,
)


def test_train_fits_linear_regression(capsys):
    torch.manual_seed(0)
    X = torch.randn(256, 3)
    y = X @ torch.tensor([1.0, -2.0, 0.5]) + 0.3
    model = nn.Linear(3, 1)

    def loss_fn(m, batch):
        xb, yb = batch
        return ((m(xb).squeeze(-1) - yb) ** 2).mean()

    def eval_fn(m):
        return {"val_mse": float(loss_fn(m, (X, y)))}

    h = train(model, lambda: (X, y), loss_fn, torch.optim.Adam(model.parameters(), 0.1), 200,
              eval_fn=eval_fn, eval_every=50, clip=10.0)
    assert h.last("val_mse") < 1e-3 < h.metrics["val_mse"][0][1]
    assert [s for s, _ in h.metrics["loss"]] == [50, 100, 150, 200]
    assert h.best("val_mse") == h.last("val_mse") and h.steps == 200 and h.wall_seconds > 0 and h.cpu_seconds > 0
    out = capsys.readouterr().out
    assert "step    200/200" in out and "val_mse" in out
    assert count_parameters(model) == 4


def test_train_rejects_bad_arguments():
    model = nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), 0.1)
    with pytest.raises(ValueError, match="steps must be a positive int"):
        train(model, lambda: None, lambda m, b: m.weight.sum(), opt, 0)
    with pytest.raises(ValueError, match="scalar"):
        train(model, lambda: None, lambda m, b: m.weight, opt, 1, verbose=False)


def test_history_errors():
    h = History()
    h.log(1, loss=2.0)
    with pytest.raises(ValueError, match="no metric 'acc'"):
        h.last("acc")
    with pytest.raises(ValueError, match="mode"):
        h.best("loss", "median")


# ---------------------------------------------------------------- learning-rate schedules (chapter 7c)
@pytest.mark.parametrize("warmup", [1, 4, 10, 300])
def test_warmup_inverse_sqrt_peaks_at_the_warmup_step(warmup):
    rates = learning_rates(lambda opt: warmup_inverse_sqrt(opt, warmup), 4 * warmup + 1, lr=2.0)
    assert max(rates) == pytest.approx(2.0) and rates.index(max(rates)) == warmup - 1  # step n = warmup
    rising, falling = rates[:warmup], rates[warmup - 1:]
    assert all(a < b for a, b in zip(rising, rising[1:]))
    assert all(a > b for a, b in zip(falling, falling[1:]))
    assert rates[4 * warmup - 1] == pytest.approx(1.0)  # halved by n = 4 warmup
    assert rates[0] == pytest.approx(2.0 / warmup)


def test_warmup_inverse_sqrt_is_the_papers_formula():
    d_model, warmup = 512, 400
    peak = d_model**-0.5 * warmup**-0.5
    rates = learning_rates(lambda opt: warmup_inverse_sqrt(opt, warmup), 2000, lr=peak)
    for n in (1, 100, 399, 400, 401, 1000, 2000):
        paper = d_model**-0.5 * min(n**-0.5, n * warmup**-1.5)
        assert rates[n - 1] == pytest.approx(paper, rel=1e-9)
    factor = warmup_inverse_sqrt(torch.optim.SGD([nn.Parameter(torch.zeros(1))], 1.0), 4000).lr_lambdas[0]
    assert 512**-0.5 * 4000**-0.5 * factor(3999) == pytest.approx(7.0e-4, rel=0.01)  # the paper's peak


def test_linear_decay_and_warmup_cosine_read_through_learning_rates():
    rates = learning_rates(lambda opt: linear_decay(opt, 10), 12, lr=0.5)
    assert rates[:3] == pytest.approx([0.5, 0.45, 0.4]) and rates[10:] == [0.0, 0.0]
    cosine = learning_rates(lambda opt: warmup_cosine(opt, 5, 50), 51)
    assert cosine[4] == pytest.approx(max(cosine)) and cosine[-1] == pytest.approx(0, abs=1e-12)
    assert learning_rates(lambda opt: torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0), 3, lr=0.1) == [0.1] * 3


def test_schedules_refuse_bad_inputs():
    opt = torch.optim.SGD(nn.Linear(1, 1).parameters(), 0.1)
    for bad in (0, -3, 2.5, "4", None):
        with pytest.raises(ValueError, match="warmup"):
            warmup_inverse_sqrt(opt, bad)
        with pytest.raises(ValueError, match="steps"):
            linear_decay(opt, bad)
        with pytest.raises(ValueError, match="steps"):
            learning_rates(lambda o: linear_decay(o, 5), bad)
    for make in (lambda o: warmup_inverse_sqrt(o, 3), lambda o: linear_decay(o, 3)):
        with pytest.raises(ArgumentTypeError, match="optimizer"):
            make(nn.Linear(1, 1))
    for bad_lr in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(ValueError, match="lr"):
            learning_rates(lambda o: linear_decay(o, 5), 3, lr=bad_lr)
    with pytest.raises(ArgumentTypeError, match="make_scheduler"):
        learning_rates("linear", 3)
    with pytest.raises(ArgumentTypeError, match="make_scheduler"):
        learning_rates(lambda o: o, 3)
