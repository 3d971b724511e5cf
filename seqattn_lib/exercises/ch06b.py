"""Checker for the exercise of chapter 6b (forecasting): :func:`check_seasonal_naive`,
the seasonal-naive forecast of a series' tail."""

from __future__ import annotations

import torch

from . import call, expect_close, run_checks


def _reference_seasonal_naive(series: torch.Tensor, season: int, n_test: int) -> torch.Tensor:
    n = len(series)
    return series[n - n_test - season : n - season]


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


HINTS = {
    "seasonal_naive": "The forecast for time t is the value at t - season; the test period is the last "
    "n_test steps, so slice the series shifted back by one season.",
}
SOLUTIONS = {"seasonal_naive": _reference_seasonal_naive}
