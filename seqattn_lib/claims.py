"""Asserted results, recorded so that a script can show how robust each one is.

A chapter states what its run showed ("attention beats no attention by 40 points") and
checks it with :func:`claim` instead of a bare ``assert``::

    claim("attention beats no attention", acc_attn - acc_plain, at_least=0.3)

The bound is chosen so that it holds for any seed, thread count and device: set from the
spread over several seeds (``make claims``), with the worst seed still passing by a margin.
:func:`claim` raises ``AssertionError`` when the value misses its bound, exactly like the
``assert`` it replaces, and returns the value so it can be glued into the text.

When ``SEQATTN_CLAIMS`` names a file, each claim is also appended to it as one JSON line
(name, value, bounds, whether it held): ``scripts/claims.py`` sets it while it executes
every notebook under several seeds and writes ``book/benchmarks/claims.csv``.
"""

from __future__ import annotations

import json
import math
import numbers
import os


def _number(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        if hasattr(value, "item") and getattr(value, "numel", lambda: getattr(value, "size", 0))() == 1:
            return float(value.item())  # a one-element tensor or array
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    return float(value)


def claim(name: str, value, *, at_least=None, at_most=None) -> float:
    """Check ``at_least <= value <= at_most`` (either bound may be left out) and record it.

    Args:
        name: a short description of the claim, unique within its notebook.
        value: the measured number (a Python number or a one-element tensor/array).
        at_least, at_most: the bounds; at least one is required.

    Returns:
        ``value`` as a float.

    Raises:
        AssertionError: if the value is NaN or misses a bound (the message names the claim).
        TypeError, ValueError: for a malformed name, value or bound.
    """
    if not isinstance(name, str) or not name.strip():
        raise TypeError(f"name must be a non-empty str, got {name!r}")
    if at_least is None and at_most is None:
        raise ValueError("claim needs at_least, at_most or both")
    value = _number(value, "value")
    lo = None if at_least is None else _number(at_least, "at_least")
    hi = None if at_most is None else _number(at_most, "at_most")
    for bound, label in ((lo, "at_least"), (hi, "at_most")):
        if bound is not None and math.isnan(bound):
            raise ValueError(f"{label} must not be NaN")
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"at_least ({lo}) must not exceed at_most ({hi})")
    held = not math.isnan(value) and (lo is None or value >= lo) and (hi is None or value <= hi)
    path = os.environ.get("SEQATTN_CLAIMS")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"claim": name, "value": value, "at_least": lo, "at_most": hi, "held": held}) + "\n")
    if not held:
        bounds = " and ".join(f"{label} {b:g}" for b, label in ((lo, ">="), (hi, "<=")) if b is not None)
        raise AssertionError(f"claim {name!r}: measured {value:g}, expected {bounds}")
    return value
