"""Real yearly and monthly series bundled with statsmodels, split in time and cut into windows.

Introduced in chapter 6 (forecasting). ``statsmodels.datasets`` ships the yearly sunspot
numbers 1700-2008 (309 values, an irregular cycle of about 11 years) inside the package,
so nothing is downloaded.

A forecast is judged on the *end* of the series: :func:`chronological_split` keeps time
order, and :func:`make_windows` turns a series into ``(past window, next value)`` pairs.
"""

from __future__ import annotations

import torch

from ..checks import check_positive_int, check_tensor


def load_sunspots() -> tuple[torch.Tensor, torch.Tensor]:
    """Yearly mean sunspot numbers from ``statsmodels.datasets.sunspots``.

    Returns:
        ``(years, values)``: ``(309,)`` int64 years 1700-2008 and ``(309,)`` float32 values.
    """
    from statsmodels.datasets import sunspots

    data = sunspots.load_pandas().data
    years = torch.tensor(data["YEAR"].to_numpy(), dtype=torch.int64)
    return years, torch.tensor(data["SUNACTIVITY"].to_numpy(), dtype=torch.float32)


def chronological_split(series: torch.Tensor, n_test: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Cut ``series`` ``(time,)`` into its head ``(time - n_test,)`` and its last ``n_test`` values."""
    check_tensor(series, "series", ("time",))
    check_positive_int(n_test, "n_test")
    if n_test >= len(series):
        raise ValueError(f"n_test={n_test} must be smaller than the series length {len(series)}")
    return series[:-n_test], series[-n_test:]


def make_windows(series: torch.Tensor, window: int, start: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Every ``(past window, next value)`` pair of a series.

    Args:
        series: ``(time,)`` values.
        window: number of past values each input holds.
        start: first target index (default ``window``); targets run from ``start`` to the
            end, so ``start = len(train)`` gives one-step forecasts of a test tail from the
            true history before each step.

    Returns:
        ``(x, y)``: ``(n, window)`` inputs and ``(n,)`` targets with ``x[i] = series[t - window:t]``
        and ``y[i] = series[t]`` for ``t = start + i``.
    """
    check_tensor(series, "series", ("time",))
    check_positive_int(window, "window")
    start = window if start is None else start
    if isinstance(start, bool) or not isinstance(start, int) or not window <= start < len(series):
        raise ValueError(f"start must be an int in [window={window}, {len(series)}), got {start!r}")
    targets = torch.arange(start, len(series))
    x = series[targets[:, None] - window + torch.arange(window)]
    return x, series[targets]
