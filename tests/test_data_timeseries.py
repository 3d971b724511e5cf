import pytest
import torch

from seqattn_lib.data.timeseries import (
    chronological_split,
    fill_gaps,
    load_co2_monthly,
    load_elnino,
    load_sunspots,
    make_windows,
    relative_to_last,
)


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


def test_fill_gaps_draws_straight_lines_across_gaps():
    nan = float("nan")
    filled, missing = fill_gaps(torch.tensor([1.0, nan, nan, 4.0, 10.0, nan, 6.0]))
    assert torch.allclose(filled, torch.tensor([1.0, 2.0, 3.0, 4.0, 10.0, 8.0, 6.0]))
    assert missing.tolist() == [False, True, True, False, False, True, False]
    observed = torch.tensor([3.0, 1.0, 2.0])
    assert torch.equal(fill_gaps(observed)[0], observed) and not fill_gaps(observed)[1].any()
    for bad in (torch.tensor([nan, 1.0]), torch.tensor([1.0, nan]), torch.tensor([nan]), torch.zeros(0)):
        with pytest.raises(ValueError, match="series"):
            fill_gaps(bad)
    with pytest.raises(ValueError, match="series"):
        fill_gaps(torch.tensor([1, 2, 3]))  # integers cannot hold NaN
    with pytest.raises(ValueError, match="series"):
        fill_gaps(torch.tensor([1.0, float("inf"), 2.0]))
    with pytest.raises(ValueError, match="series"):
        fill_gaps([1.0, nan, 2.0])


def test_load_co2_monthly():
    time, values, interpolated = load_co2_monthly()
    assert time.shape == values.shape == interpolated.shape == (526,)
    assert abs(time[0] - (1958 + 2 / 12)) < 1e-9 and abs(time[-1] - (2001 + 11 / 12)) < 1e-9
    assert torch.allclose(time.diff(), torch.full((525,), 1 / 12, dtype=torch.float64))  # one value a month
    assert not values.isnan().any() and 310 < values.min() and values.max() < 380
    assert interpolated.sum() == 5 and (time[interpolated] < 1965).all()
    # the weeks ending 29 March, then 5, 12, 19 and 26 April 1958 read 316.1, 317.3, 317.6, 317.5, 316.4
    assert abs(values[0] - 316.1) < 1e-4 and abs(values[1] - (317.3 + 317.6 + 317.5 + 316.4) / 4) < 1e-4
    assert values[-12:].mean() - values[:12].mean() > 50  # the trend: about 55 ppm in 43 years


def test_load_elnino():
    time, values = load_elnino()
    assert time.shape == values.shape == (732,)
    assert time[0] == 1950 and abs(time[-1] - (2010 + 11 / 12)) < 1e-9
    assert abs(values[0] - 23.11) < 1e-4 and abs(values[13] - 25.28) < 1e-4  # Jan 1950, Feb 1951
    assert 15 < values.min() and values.max() < 30


def test_relative_to_last():
    x, y = make_windows(torch.arange(10.0) * 2 + 100, 3)
    xr, yr = relative_to_last(x, y)
    assert torch.equal(xr[0], torch.tensor([-4.0, -2.0, 0.0])) and (yr == 2).all()
    assert torch.equal(relative_to_last(x), xr)
    assert torch.equal(relative_to_last(x + 1000.0, y + 1000.0)[1], yr)  # the level is gone
    with pytest.raises(ValueError, match="x"):
        relative_to_last(x[0])
    with pytest.raises(ValueError, match="x"):
        relative_to_last(torch.zeros(4, 0))
    with pytest.raises(ValueError, match="x"):
        relative_to_last(x.long())
    with pytest.raises(ValueError, match="y"):
        relative_to_last(x, y[:-1])
