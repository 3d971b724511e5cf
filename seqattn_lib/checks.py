"""Input checks shared by every public function of the library.

Introduced in chapter 1. A function that receives a tensor states the shape it expects
with named dimensions, e.g. ``("batch", "time", "d_model")``. Names bind to sizes on
first use, so two tensors that must agree (a query's ``d_k`` and a key's ``d_k``) are
checked against each other by passing the same ``dims`` dictionary::

    dims = {}
    check_tensor(q, "q", ("batch", "n_q", "d_k"), dims)
    check_tensor(k, "k", ("batch", "n_k", "d_k"), dims)   # d_k must equal q's

A mismatch raises ``ValueError`` naming the argument, the expected shape (with the sizes
bound so far) and the shape received; an argument of the wrong type raises
:class:`ArgumentTypeError`, both a ``TypeError`` and a ``ValueError``. The other helpers check numbers, token ids and
random generators the same way: every message names the argument and what was expected.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence

import torch

Dim = str | int | None


class ArgumentTypeError(TypeError, ValueError):
    """An argument of a public function has the wrong type (a list for a tensor, a str for a
    model). It is a ``TypeError``, and a ``ValueError`` like every other refusal of bad input,
    so code that catches either sees it."""


def _describe(spec: Sequence[Dim], dims: dict[str, int]) -> str:
    parts = []
    for d in spec:
        if isinstance(d, str) and d in dims:
            parts.append(f"{d}={dims[d]}")
        elif d is None:
            parts.append("*")
        else:
            parts.append(str(d))
    return "(" + ", ".join(parts) + ")"


def check_tensor(
    x: object,
    name: str,
    spec: Sequence[Dim] | None = None,
    dims: dict[str, int] | None = None,
    dtype: str | torch.dtype | None = None,
    device: torch.device | None = None,
) -> dict[str, int]:
    """Check that ``x`` is a tensor with the expected shape and dtype kind.

    Args:
        x: the object to check.
        name: the argument's name, used in the error message.
        spec: expected shape; each entry is a dimension name (bound on first use and
            compared afterwards), an int (exact size) or ``None`` (any size).
        dims: bindings shared between calls; updated in place and returned.
        dtype: ``"float"`` (any floating dtype), ``"int"`` (any integer dtype),
            ``"bool"``, or an exact ``torch.dtype``.
        device: the device ``x`` must be on (e.g. a model parameter's ``.device``).

    Returns:
        The ``dims`` dictionary with any new bindings.

    Raises:
        ValueError: if ``x`` is not a tensor, has the wrong number of dimensions, a size
            that disagrees with ``spec`` or ``dims``, the wrong dtype or the wrong device.
    """
    dims = {} if dims is None else dims
    if not isinstance(x, torch.Tensor):
        raise ArgumentTypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if dtype is not None:
        ok = {
            "float": x.is_floating_point(),
            "int": not x.is_floating_point() and not x.is_complex() and x.dtype != torch.bool,
            "bool": x.dtype == torch.bool,
        }.get(dtype, x.dtype == dtype) if isinstance(dtype, str) else x.dtype == dtype
        if not ok:
            raise ValueError(f"{name} must have a {dtype} dtype, got {x.dtype}")
    if device is not None and x.device != torch.device(device):
        raise ValueError(f"{name} must be on {device} (where the other tensors are), got {x.device}")
    if spec is None:
        return dims
    if x.dim() != len(spec):
        raise ValueError(
            f"{name} must have {len(spec)} dimensions {_describe(spec, dims)}, "
            f"got shape {tuple(x.shape)}"
        )
    for d, size in zip(spec, x.shape):
        if d is None:
            continue
        expected = dims.get(d) if isinstance(d, str) else d
        if expected is not None and expected != size:
            raise ValueError(
                f"{name} must have shape {_describe(spec, dims)}, got {tuple(x.shape)}"
            )
        if isinstance(d, str):
            dims[d] = size
    return dims


def check_positive_int(value: object, name: str) -> int:
    """Return ``value`` if it is a positive int, else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def check_int(value: object, name: str, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` if it is an int in ``[low, high)`` (``None``: no bound), else raise ``ValueError``."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not ok or (low is not None and value < low) or (high is not None and value >= high):
        lo, hi = ("-inf" if low is None else low), ("inf" if high is None else high)
        raise ValueError(f"{name} must be an int in [{lo}, {hi}), got {value!r}")
    return value


def check_probability(value: object, name: str) -> float:
    """Return ``value`` as a float if it is a number in ``[0, 1)`` (a dropout rate), else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")
    return float(value)


def check_module(model: object, name: str = "model") -> torch.nn.Module:
    """Return ``model`` if it is a ``torch.nn.Module``, else raise :class:`ArgumentTypeError`."""
    if not isinstance(model, torch.nn.Module):
        raise ArgumentTypeError(f"{name} must be a torch.nn.Module, got {type(model).__name__}")
    return model


def check_finite(value: object, name: str, positive: bool = False) -> float:
    """Return ``value`` as a float if it is a finite real number (``> 0`` with ``positive``), else raise ``ValueError``.

    NaN and infinity are refused: as a hyper-parameter (a temperature, a learning rate)
    they would silently turn every result into NaN.
    """
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or (positive and value <= 0):
        raise ValueError(f"{name} must be a finite {'positive ' if positive else ''}number, got {value!r}")
    return float(value)


def check_ids(
    ids: object, name: str, size: int | None, bound: str = "vocab_size", spec: Sequence[Dim] | None = None,
    dims: dict[str, int] | None = None, device: torch.device | None = None,
) -> dict[str, int]:
    """:func:`check_tensor` for integer ids, each in ``[0, size)`` (what ``nn.Embedding`` accepts).

    ``bound`` names ``size`` in the message (``"vocab_size"``, ``"n_classes"``); ``size=None``
    checks the dtype only. The range is read with one ``aminmax`` per call. Returns ``dims``.
    """
    dims = check_tensor(ids, name, spec, dims, dtype="int", device=device)
    if size is not None and ids.numel():
        lo, hi = torch.stack(torch.aminmax(ids)).tolist()
        if lo < 0 or hi >= size:
            raise ValueError(f"{name} must hold ids in [0, {bound}={size}), got ids from {lo} to {hi}")
    return dims


def check_id_list(ids: object, name: str, size: int | None = None, bound: str = "vocab_size") -> list[int]:
    """Return ``ids`` (an iterable of ints or a 1-D integer tensor) as a list of ints, else raise ``ValueError``.

    With ``size``, every id must lie in ``[0, size)``. A string is refused (it is not a list of ids).
    """
    if isinstance(ids, torch.Tensor):
        check_ids(ids, name, size, bound, spec=(None,))
        return ids.tolist()
    if isinstance(ids, (str, bytes)) or not isinstance(ids, Iterable):
        raise ArgumentTypeError(f"{name} must be a list of int ids, got {type(ids).__name__}")
    ids = list(ids)
    if not all(type(i) is int for i in ids):  # the common case, plain ints, skips this loop
        for i in ids:
            if isinstance(i, bool) or not isinstance(i, numbers.Integral):
                raise ValueError(f"{name} must hold int ids, got {i!r}")
        ids = [int(i) for i in ids]
    if size is not None and ids and not 0 <= min(ids) <= max(ids) < size:
        bad = next(i for i in ids if not 0 <= i < size)
        raise ValueError(f"{name} must hold ids in [0, {bound}={size}): {bad} is outside the vocabulary")
    return ids


def check_str_list(values: object, name: str) -> list[str]:
    """Return ``values`` (an iterable of str, but not one str) as a list, else raise ``ValueError``."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ArgumentTypeError(f"{name} must be a list of str, got {type(values).__name__}")
    values = list(values)
    bad = [v for v in values if not isinstance(v, str)]
    if bad:
        raise ValueError(f"{name} must hold only str, got {bad[0]!r}")
    return values


def check_generator(generator: object) -> torch.Generator | None:
    """Return ``generator`` if it is a ``torch.Generator`` or ``None``, else raise ``ValueError``."""
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ArgumentTypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    return generator
