"""Input checks shared by every public function of the library.

Introduced in chapter 1. A function that receives a tensor states the shape it expects
with named dimensions, e.g. ``("batch", "time", "d_model")``. Names bind to sizes on
first use, so two tensors that must agree (a query's ``d_k`` and a key's ``d_k``) are
checked against each other by passing the same ``dims`` dictionary::

    dims = {}
    check_tensor(q, "q", ("batch", "n_q", "d_k"), dims)
    check_tensor(k, "k", ("batch", "n_k", "d_k"), dims)   # d_k must equal q's

A mismatch raises ``ValueError`` naming the argument, the expected shape (with the sizes
bound so far) and the shape received.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

Dim = str | int | None


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

    Returns:
        The ``dims`` dictionary with any new bindings.

    Raises:
        ValueError: if ``x`` is not a tensor, has the wrong number of dimensions, a size
            that disagrees with ``spec`` or ``dims``, or the wrong dtype.
    """
    dims = {} if dims is None else dims
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if dtype is not None:
        ok = {
            "float": x.is_floating_point(),
            "int": not x.is_floating_point() and not x.is_complex() and x.dtype != torch.bool,
            "bool": x.dtype == torch.bool,
        }.get(dtype, x.dtype == dtype) if isinstance(dtype, str) else x.dtype == dtype
        if not ok:
            raise ValueError(f"{name} must have a {dtype} dtype, got {x.dtype}")
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
