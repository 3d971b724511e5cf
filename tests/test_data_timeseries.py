import pytest
import torch

from seqattn_lib.data.timeseries import chronological_split, load_sunspots, make_windows


def test_load_sunspots():
    years, values = load_sunspots()
    assert years.shape == values.shape == (309,)
    assert years[0] == 1700 and years[-1] == 2008 and (values >= 0).all()


def test_chronological_split_keeps_order():
    series = torch.arange(10.0)
    head, tail = chronological_split(series, 3)
    assert torch.equal(head, torch.arange(7.0)) and torch.equal(tail, torch.tensor([7.0, 8.0, 9.0]))
    with pytest.raises(ValueError):
        chronological_split(series, 10)
    with pytest.raises(ValueError):
        chronological_split(series[None], 3)


def test_windows_are_past_values_and_next_value():
    series = torch.arange(12.0)
    x, y = make_windows(series, 4)
    assert x.shape == (8, 4) and y.shape == (8,)
    assert torch.equal(x[0], torch.arange(4.0)) and y[0] == 4 and y[-1] == 11
    x, y = make_windows(series, 3, start=9)  # one-step forecasts of the last 3 values
    assert torch.equal(y, torch.tensor([9.0, 10.0, 11.0])) and torch.equal(x[-1], torch.tensor([8.0, 9.0, 10.0]))
    assert (x[:, -1] + 1 == y).all()
    with pytest.raises(ValueError):
        make_windows(series, 4, start=2)
    with pytest.raises(ValueError):
        make_windows(series, 0)
