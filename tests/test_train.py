import pytest
import torch
from torch import nn

from seqattn_lib.train import History, count_parameters, train


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
