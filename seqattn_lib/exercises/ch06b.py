"""Checkers for the exercises of chapter 6b (forecasting).

* :func:`check_seasonal_naive`: the seasonal-naive forecast of a series' tail.
* :func:`check_make_windows`: every (past window, next value) pair of a series.
"""

from __future__ import annotations

import torch

from ..data.timeseries import make_windows as _reference_make_windows
from . import ExerciseFailure, call, expect_close, run_checks


def _reference_seasonal_naive(series: torch.Tensor, season: int, n_test: int) -> torch.Tensor:
    return torch.roll(series, season)[-n_test:]


def check_seasonal_naive(fn) -> object:
    """``fn(series, season, n_test)`` returns the ``(n_test,)`` forecasts of the last
    ``n_test`` values, each equal to the value ``season`` steps earlier."""
    gen = torch.Generator().manual_seed(0)
    cases = [
        (torch.arange(20.0), 11, 5),
        (torch.randn(40, generator=gen), 4, 10),
        (torch.randn(30, generator=gen), 1, 3),
    ]

    def make(series, season, n_test):
        def check(candidate):
            got = call(candidate, series, season, n_test)
            expect_close(got, _reference_seasonal_naive(series, season, n_test),
                         what=f"forecast (season={season}, n_test={n_test})")
        return check

    return run_checks("seasonal_naive", fn, [make(*c) for c in cases])


def check_make_windows(fn) -> object:
    """``fn(series (time,), window) -> (x (time - window, window), y (time - window,))`` with
    ``x[i] = series[i : i + window]`` and ``y[i] = series[i + window]``, the value right after it."""

    def case(n, window, seed):
        def check(f):
            series = torch.randn(n, generator=torch.Generator().manual_seed(seed)).cumsum(0)
            out = call(f, series, window)
            if not isinstance(out, (tuple, list)) or len(out) != 2:
                raise ExerciseFailure(f"should return a pair (x, y), got {type(out).__name__}")
            x_ref, y_ref = _reference_make_windows(series, window)
            expect_close(out[0], x_ref, f"x for a series of {n} values and window={window}")
            expect_close(out[1], y_ref, f"y for a series of {n} values and window={window}")
        return check

    return run_checks("make_windows", fn, [case(5, 2, 0), case(12, 1, 1), case(40, 11, 2), case(300, 37, 3)])


HINTS = {
    "seasonal_naive": "The forecast for time t is the value at t - season; the test period is the last "
    "n_test steps, so slice the series shifted back by one season.",
    "make_windows": "Window i starts at index i and ends just before its target, index i + window: an index "
    "matrix (a column of starts plus a row 0..window-1) selects all windows at once.",
}
# ---------------------------------------------------------------- reference solutions (shown in the book)
def seasonal_naive(series, season, n_test):
    n = len(series)
    return series[n - n_test - season : n - season]  # each value one season before its target


def make_windows(series, window):
    starts = torch.arange(len(series) - window)  # one window per target
    x = series[starts[:, None] + torch.arange(window)]  # (time - window, window)
    return x, series[window:]  # y[i] = series[i + window]


SOLUTIONS = {"seasonal_naive": seasonal_naive, "make_windows": make_windows}
