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

A function that only raises ``NotImplementedError`` or returns ``None`` is reported as
*not attempted* rather than failed, and each check runs under a time limit
(:data:`TIME_LIMIT` seconds), so an endless loop gives a message instead of a hung
kernel. :func:`hint` prints a hint for an exercise; ``python -m seqattn_lib.exercises``
exports the exercises as stubs and grades a folder of answers (see :mod:`.grading`).

This module holds the shared machinery; ``tests/test_exercises_*.py`` run every checker
on its reference solution (each module's ``SOLUTIONS``; must pass) and on wrong
solutions (must fail).
"""

from __future__ import annotations

import functools
import importlib
import math
import signal
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

PASSED, FAILED, NOT_ATTEMPTED = "passed", "failed", "not attempted"
MODULES = ("ch01", "ch02", "ch03", "ch04", "ch05", "ch06a", "ch06b", "ch06c", "ch06d", "ch06e", "ch06f", "ch06g",
           "ch07", "ch07c", "mistakes")
TIME_LIMIT = 20.0  # seconds per check before the reader's function is declared stuck (references take < 1 s)


class ExerciseFailure(Exception):
    """Raised inside a check to report what is wrong with the reader's answer."""


class _NotAttempted(Exception):
    """The reader's function is still a stub (raises ``NotImplementedError`` or returns ``None``)."""


class TimeLimitExceeded(BaseException):
    """A check ran past its time limit (a ``BaseException``, so the reader's ``except Exception`` cannot hide it)."""


@dataclass
class CheckResult:
    """Outcome of a checker: ``status`` (passed, failed or not attempted) and a human-readable ``message``.

    Truthy only when the status is passed.
    """

    name: str
    status: str
    message: str

    @property
    def passed(self) -> bool:
        """Whether every check passed."""
        return self.status == PASSED

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        label = {PASSED: "PASS", FAILED: "FAIL", NOT_ATTEMPTED: "NOT ATTEMPTED"}[self.status]
        return f"{label} {self.name}: {self.message}"


def _raise_time_limit(signum, frame):
    raise TimeLimitExceeded


def _alarm_usable() -> bool:
    """``SIGALRM`` can interrupt the reader's code: POSIX, main thread, and nobody else uses the alarm."""
    return (
        hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN, None)
    )


def call_with_time_limit(fn: Callable[[], object], seconds: float) -> object:
    """Return ``fn()``, or raise :class:`TimeLimitExceeded` once it has run ``seconds`` seconds.

    On the main thread of a POSIX process (a Jupyter kernel, pytest, the grading command)
    a ``SIGALRM`` timer interrupts ``fn`` itself. Elsewhere ``fn`` runs in a daemon thread
    that is abandoned when it does not return in time: a thread cannot be stopped, so an
    endless loop keeps running in the background until the process exits.
    """
    if not callable(fn):
        raise TypeError(f"fn should be callable, got {type(fn).__name__}")
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not seconds > 0:
        raise ValueError(f"seconds should be a positive number, got {seconds!r}")
    if _alarm_usable():
        previous = signal.signal(signal.SIGALRM, _raise_time_limit)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return fn()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    box: dict[str, object] = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as error:  # handed back to the calling thread below
            box["error"] = error

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TimeLimitExceeded
    if "error" in box:
        raise box["error"]
    return box["value"]


def _stub_aware(candidate: Callable) -> Callable:
    """Wrap ``candidate`` so that a stub reads as not attempted.

    A stub raises ``NotImplementedError`` or returns ``None`` before it ever returned anything else.
    """
    answered = False

    @functools.wraps(candidate)
    def wrapper(*args, **kwargs):
        nonlocal answered
        try:
            out = candidate(*args, **kwargs)
        except NotImplementedError as error:
            if answered:
                raise
            detail = f": {error}" if str(error) else ""
            raise _NotAttempted(f"your function raises NotImplementedError{detail}") from None
        if out is None and not answered:
            raise _NotAttempted("your function returns None (still a stub, or a missing `return`?)")
        answered = True
        return out

    return wrapper


def run_checks(name: str, candidate: object, checks: Sequence[Callable[[Callable], None]]) -> CheckResult:
    """Run ``checks`` (each takes the candidate and raises on a problem); print and return the result.

    Each check runs under :data:`TIME_LIMIT` seconds; checking stops at the first problem.
    """
    if not isinstance(name, str):
        raise TypeError(f"name should be a str, got {type(name).__name__}")
    if not callable(candidate):
        result = CheckResult(name, FAILED, f"expected a function, got {type(candidate).__name__}")
    else:
        wrapped = _stub_aware(candidate)
        result = CheckResult(name, PASSED, f"all {len(checks)} checks passed")
        for i, check in enumerate(checks, 1):
            where = f"check {i}/{len(checks)}"
            try:
                call_with_time_limit(functools.partial(check, wrapped), TIME_LIMIT)
            except _NotAttempted as stub:
                result = CheckResult(name, NOT_ATTEMPTED, f"{stub}")
            except TimeLimitExceeded:
                result = CheckResult(
                    name, FAILED, f"{where}: your function did not return within {TIME_LIMIT:g} s (an infinite loop?)"
                )
            except ExerciseFailure as failure:
                result = CheckResult(name, FAILED, f"{where}: {failure}")
            except Exception as error:  # the reader's code may raise anything
                frame = traceback.extract_tb(error.__traceback__)[-1]
                result = CheckResult(
                    name,
                    FAILED,
                    f"{where}: your function raised {type(error).__name__}: {error} "
                    f"(line {frame.lineno} of {frame.name})",
                )
            if not result:
                break
    print(result)
    return result


def hint(module: str, exercise: str) -> str:
    """Print and return the hint for ``exercise`` of checker module ``module``.

    For example ``hint("ch05", "causal_mask")``; the names are those of the checkers without ``check_``.
    """
    if module not in MODULES:
        raise ValueError(f"module should be one of {', '.join(MODULES)}, got {module!r}")
    hints = importlib.import_module(f"{__name__}.{module}").HINTS
    if exercise not in hints:
        raise ValueError(f"exercise should be one of {', '.join(sorted(hints))} for {module}, got {exercise!r}")
    print(f"Hint for {exercise}: {hints[exercise]}")
    return hints[exercise]


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
    expect_like(actual, expected, what)
    actual = actual.detach()
    if not torch.allclose(actual, expected.detach(), atol=atol, rtol=rtol, equal_nan=True):
        err = (actual - expected.detach()).abs().nan_to_num(float("inf"))
        idx = tuple(int(i) for i in torch.nonzero(err == err.max())[0])
        raise ExerciseFailure(
            f"{what} values are wrong: at index {idx} expected {expected[idx].item():.6g}, "
            f"got {actual[idx].item():.6g} (max abs error {err.max().item():.3g})"
        )


def expect_like(actual: object, expected: torch.Tensor, what: str = "output") -> None:
    """Raise :class:`ExerciseFailure` unless ``actual`` is a finite tensor of ``expected``'s shape, dtype and device.

    Checks the type, shape, floating-point dtype, device and NaN/inf, in that order (not the values).
    """
    if not isinstance(actual, torch.Tensor):
        raise ExerciseFailure(f"{what} should be a torch.Tensor, got {type(actual).__name__}")
    if tuple(actual.shape) != tuple(expected.shape):
        raise ExerciseFailure(f"{what} should have shape {tuple(expected.shape)}, got {tuple(actual.shape)}")
    if not actual.is_floating_point():
        raise ExerciseFailure(f"{what} should be a floating-point tensor, got {actual.dtype}")
    if actual.dtype != expected.dtype:
        raise ExerciseFailure(f"{what} should have dtype {expected.dtype} (that of the inputs), got {actual.dtype}")
    if actual.device != expected.device:
        raise ExerciseFailure(f"{what} should be on device {expected.device} (that of the inputs), got {actual.device}")
    _expect_finite(actual.detach(), what, allowed=expected)


def _expect_finite(actual: torch.Tensor, what: str, allowed: torch.Tensor | None = None) -> None:
    for symptom, bad in (("NaN", torch.isnan), ("inf", torch.isinf)):
        if bad(actual).any() and (allowed is None or not bad(allowed).any()):
            idx = tuple(int(i) for i in torch.nonzero(bad(actual))[0])
            raise ExerciseFailure(f"{what}: your result contains {symptom} (first at index {idx})")


def expect_finite(actual: object, what: str = "output") -> None:
    """Raise :class:`ExerciseFailure` if ``actual`` is a tensor holding NaN or inf (naming which, and where)."""
    if isinstance(actual, torch.Tensor) and actual.is_floating_point():
        _expect_finite(actual.detach(), what)


def expect_number(actual: object, expected: float, what: str = "result", rel_tol: float = 1e-4,
                  abs_tol: float = 1e-6) -> None:
    """Raise :class:`ExerciseFailure` unless ``actual`` is a number (or a one-element tensor) close to ``expected``."""
    if isinstance(actual, torch.Tensor) and actual.numel() == 1 and not actual.dtype == torch.bool:
        actual = actual.item()
    if isinstance(actual, bool) or not isinstance(actual, (int, float)):
        raise ExerciseFailure(f"{what} should be a number (a float), got {type(actual).__name__}")
    if math.isnan(actual) or math.isinf(actual):
        raise ExerciseFailure(f"{what}: your result is {actual} (NaN or inf), expected {expected:.6g}")
    if not math.isclose(actual, expected, rel_tol=rel_tol, abs_tol=abs_tol):
        raise ExerciseFailure(f"{what} should be {expected:.6g}, got {actual:.6g}")


def expect_mask(actual: object, expected: torch.Tensor, what: str = "mask") -> None:
    """Raise :class:`ExerciseFailure` unless ``actual`` is a bool tensor equal to the bool ``expected``."""
    if not isinstance(actual, torch.Tensor):
        raise ExerciseFailure(f"{what} should be a torch.Tensor, got {type(actual).__name__}")
    if actual.dtype != torch.bool:
        raise ExerciseFailure(f"{what} should have dtype torch.bool (True = may attend), got {actual.dtype}")
    if actual.device != expected.device:
        raise ExerciseFailure(f"{what} should be on device {expected.device}, got {actual.device}")
    if tuple(actual.shape) != tuple(expected.shape):
        raise ExerciseFailure(f"{what} should have shape {tuple(expected.shape)}, got {tuple(actual.shape)}")
    wrong = (actual != expected).nonzero()
    if len(wrong):
        idx = tuple(int(i) for i in wrong[0])
        raise ExerciseFailure(f"{what}: at index {idx} expected {bool(expected[idx])}, got {bool(actual[idx])}")


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
