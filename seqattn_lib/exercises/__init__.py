"""Checkers for the book's coding exercises.

Each chapter has a module here (``ch01``, ``ch02``, ...) with one ``check_*`` function
per exercise. A reader writes a function and passes it to the checker::

    from seqattn_lib.exercises.ch01 import check_rnn_step
    check_rnn_step(my_rnn_step)

The checker calls the reader's function on several inputs, compares the result with a
reference (shape first, then values, then gradients where they matter) and prints
``PASS`` or ``FAIL`` with the first thing that is wrong. It never raises: whatever the
reader's function does (returns garbage, raises, returns the wrong type), the checker
reports it and returns a :class:`CheckResult` that is truthy only when every check passed.

This module holds the shared machinery; ``tests/test_exercises_*.py`` run every checker
on a reference solution (must pass) and on wrong solutions (must fail).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch


class ExerciseFailure(Exception):
    """Raised inside a check to report what is wrong with the reader's answer."""


@dataclass
class CheckResult:
    """Outcome of a checker: ``passed`` and a human-readable ``message``."""

    name: str
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return f"{'PASS' if self.passed else 'FAIL'} {self.name}: {self.message}"


def run_checks(name: str, candidate: object, checks: Sequence[Callable[[Callable], None]]) -> CheckResult:
    """Run ``checks`` (each takes the candidate and raises on a problem); print and return the result."""
    if not callable(candidate):
        result = CheckResult(name, False, f"expected a function, got {type(candidate).__name__}")
    else:
        result = CheckResult(name, True, f"all {len(checks)} checks passed")
        for i, check in enumerate(checks, 1):
            try:
                check(candidate)
            except ExerciseFailure as failure:
                result = CheckResult(name, False, f"check {i}/{len(checks)}: {failure}")
                break
            except Exception as error:  # the reader's code may raise anything
                where = traceback.extract_tb(error.__traceback__)[-1]
                result = CheckResult(
                    name,
                    False,
                    f"check {i}/{len(checks)}: your function raised {type(error).__name__}: {error} "
                    f"(line {where.lineno} of {where.name})",
                )
                break
    print(result)
    return result


def call(candidate: Callable, *args, **kwargs):
    """Call the reader's function on copies of the arguments (so it cannot change ours)."""
    copies = [a.detach().clone().requires_grad_(a.requires_grad) if isinstance(a, torch.Tensor) else a for a in args]
    return candidate(*copies, **kwargs)


def expect_close(
    actual: object,
    expected: torch.Tensor,
    what: str = "output",
    atol: float = 1e-5,
    rtol: float = 1e-4,
) -> None:
    """Raise :class:`ExerciseFailure` unless ``actual`` is a tensor close to ``expected``."""
    if not isinstance(actual, torch.Tensor):
        raise ExerciseFailure(f"{what} should be a torch.Tensor, got {type(actual).__name__}")
    if tuple(actual.shape) != tuple(expected.shape):
        raise ExerciseFailure(f"{what} should have shape {tuple(expected.shape)}, got {tuple(actual.shape)}")
    if not actual.is_floating_point():
        raise ExerciseFailure(f"{what} should be a floating-point tensor, got {actual.dtype}")
    actual = actual.detach().to(expected.dtype)
    if torch.isnan(actual).any() and not torch.isnan(expected).any():
        raise ExerciseFailure(f"{what} contains NaN")
    if not torch.allclose(actual, expected.detach(), atol=atol, rtol=rtol, equal_nan=True):
        err = (actual - expected.detach()).abs().nan_to_num(float("inf"))
        idx = tuple(int(i) for i in torch.nonzero(err == err.max())[0])
        raise ExerciseFailure(
            f"{what} values are wrong: at index {idx} expected {expected[idx].item():.6g}, "
            f"got {actual[idx].item():.6g} (max abs error {err.max().item():.3g})"
        )


def expect_same_gradients(
    candidate_fn: Callable[..., torch.Tensor],
    reference_fn: Callable[..., torch.Tensor],
    inputs: Sequence[torch.Tensor],
    names: Sequence[str],
) -> None:
    """Raise unless ``candidate_fn`` and ``reference_fn`` give the same gradients.

    Both are called on fresh leaf copies of ``inputs``; the gradient of
    ``(output * weights).sum()`` (fixed random ``weights``) is compared input by input.
    """
    def grads(fn):
        leaves = [x.detach().clone().requires_grad_(True) for x in inputs]
        out = fn(*leaves)
        if not isinstance(out, torch.Tensor):
            raise ExerciseFailure(f"output should be a torch.Tensor, got {type(out).__name__}")
        if not out.requires_grad:
            raise ExerciseFailure(
                "output does not depend on the inputs through autograd (was .detach() or .numpy() used?)"
            )
        weights = torch.linspace(-1, 1, out.numel()).reshape(out.shape).to(out.dtype)
        (out * weights).sum().backward()
        return [torch.zeros_like(x) if x.grad is None else x.grad for x in leaves]

    for name, got, want in zip(names, grads(candidate_fn), grads(reference_fn)):
        expect_close(got, want, what=f"gradient with respect to {name}", atol=1e-4, rtol=1e-3)
