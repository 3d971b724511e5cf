"""Real yearly and monthly series bundled with statsmodels, split in time and cut into windows.

Introduced in chapter 6 (forecasting). ``statsmodels.datasets`` ships these series inside
the package, so nothing is downloaded:

* :func:`load_sunspots`: yearly sunspot numbers 1700-2008 (309 values, an irregular cycle of
  about 11 years);
* :func:`load_co2_monthly`: CO2 at Mauna Loa, March 1958 - December 2001, from weekly means
  to monthly ones (526 values, a rising trend and a yearly cycle); months without a single
  measured week are filled by :func:`fill_gaps`;
* :func:`load_elnino`: monthly sea surface temperature off Peru and Ecuador (Nino 1+2 region),
  1950-2010 (732 values, a yearly cycle and irregular El Nino warmings).

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


def fill_gaps(series: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Fill the NaNs of an evenly spaced series by straight lines between the observed values around them.

    Args:
        series: ``(time,)`` floating values, NaN where missing; the first and last value
            must be observed (there is nothing to draw a line from beyond the ends).

    Returns:
        ``(filled, missing)``: ``(time,)`` values with every gap interpolated, and the
        ``(time,)`` bool mask of the values that were NaN.
    """
    check_tensor(series, "series", ("time",), dtype="float")
    missing = series.isnan()
    if len(series) == 0 or missing[0] or missing[-1]:
        raise ValueError("series must start and end with an observed (non-NaN) value")
    if series[~missing].isinf().any():
        raise ValueError("series must hold finite values or NaN, got an infinite value")
    t = torch.arange(len(series))
    known = t[~missing]
    right = torch.searchsorted(known, t).clamp(max=len(known) - 1)  # first observed index >= t
    left = (right - 1).clamp(min=0)
    t0, t1 = known[left], known[right]
    weight = ((t - t0) / (t1 - t0).clamp(min=1)).to(series.dtype)
    filled = series[t0] + weight * (series[t1] - series[t0])
    return torch.where(missing, filled, series), missing


def _decimal_months(years, months) -> torch.Tensor:
    """``year + (month - 1) / 12`` as float64: January 1960 is 1960.0, July 1960 is 1960.5."""
    return torch.tensor(years, dtype=torch.float64) + (torch.tensor(months, dtype=torch.float64) - 1) / 12


def load_co2_monthly() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Monthly mean CO2 (ppm) at Mauna Loa from ``statsmodels.datasets.co2`` (weekly, 1958-2001).

    A month's value is the mean of its weeks that were measured (59 of the 2,284 weeks are
    missing); the 5 months with no measured week at all are interpolated by :func:`fill_gaps`.

    Returns:
        ``(time, values, interpolated)``: ``(526,)`` float64 decimal years (March 1958 is
        1958.167), ``(526,)`` float32 ppm and the ``(526,)`` bool mask of interpolated months.
    """
    from statsmodels.datasets import co2

    monthly = co2.load_pandas().data["co2"].resample("MS").mean()  # NaN weeks are skipped
    values, interpolated = fill_gaps(torch.tensor(monthly.to_numpy(), dtype=torch.float32))
    return _decimal_months(monthly.index.year, monthly.index.month), values, interpolated


def load_elnino() -> tuple[torch.Tensor, torch.Tensor]:
    """Monthly sea surface temperature (degrees C) of the Nino 1+2 region from ``statsmodels.datasets.elnino``.

    Returns:
        ``(time, values)``: ``(732,)`` float64 decimal years 1950.0-2010.917 (January 1950 to
        December 2010) and ``(732,)`` float32 temperatures, month after month.
    """
    from statsmodels.datasets import elnino

    data = elnino.load_pandas().data
    table = data.drop(columns="YEAR").to_numpy()  # (61 years, 12 months)
    years = data["YEAR"].to_numpy().astype(int).repeat(12)
    months = list(range(1, 13)) * len(data)
    return _decimal_months(years, months), torch.tensor(table.reshape(-1), dtype=torch.float32)


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


def relative_to_last(x: torch.Tensor, y: torch.Tensor | None = None):
    """Windows (and targets) as changes from each window's last value, for series with a trend.

    A model fed ``x - x[:, -1:]`` that predicts ``y - x[:, -1]`` never sees the level of the
    series, so a test period above every training value is no harder than the training one,
    and predicting 0 is the naive forecast. Add ``x[:, -1]`` back to a prediction to undo it.

    Args:
        x: ``(n, window)`` past values, as :func:`make_windows` returns them.
        y: optional ``(n,)`` next values.

    Returns:
        ``x - x[:, -1:]`` ``(n, window)`` (its last column is 0), or the pair with ``y - x[:, -1]`` ``(n,)``.
    """
    dims = check_tensor(x, "x", ("n", "window"), dtype="float")
    if dims["window"] == 0:
        raise ValueError("x must hold at least one past value per window, got shape " + str(tuple(x.shape)))
    last = x[:, -1]
    if y is None:
        return x - last[:, None]
    check_tensor(y, "y", ("n",), dims, dtype="float")
    return x - last[:, None], y - last
