"""Checker for the exercise of chapter 6f (summarisation and dialogue): :func:`check_rouge2_f1`."""

from __future__ import annotations

import math

from ..metrics import rouge_n
from . import ExerciseFailure, run_checks


def check_rouge2_f1(fn) -> object:
    """``fn(candidate, reference) -> float``: F1 of clipped bigram overlap (0 when none)."""
    pairs = [
        ("leeds 3 - 1 york home win".split(), "leeds 3 - 1 york home win".split()),
        ("york 1 - 3 leeds".split(), "leeds 3 - 1 york home win".split()),
        ("the the the the".split(), "the the cat".split()),
        (["one"], "one two".split()),
        ("a b a b a b".split(), "a b c a b".split()),
    ]

    def case(candidate, reference):
        def check(f):
            got = f(list(candidate), list(reference))
            if not isinstance(got, (int, float)) or isinstance(got, bool):
                raise ExerciseFailure(f"should return a float, got {type(got).__name__}")
            want = rouge_n(candidate, reference, n=2)
            if not math.isclose(got, want, abs_tol=1e-9):
                raise ExerciseFailure(
                    f"candidate {candidate}, reference {reference}: expected {want:.4f}, got {got:.4f}"
                )
        return check

    return run_checks("rouge2_f1", fn, [case(c, r) for c, r in pairs])


def _rouge2_f1(candidate, reference):
    return rouge_n(candidate, reference, n=2)


HINTS = {
    "rouge2_f1": "Count bigrams with collections.Counter; the overlap of two Counters (&) clips each count; "
    "F1 combines the overlap's precision and recall.",
}
SOLUTIONS = {"rouge2_f1": _rouge2_f1}
