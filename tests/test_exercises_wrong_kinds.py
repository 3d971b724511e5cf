"""Every checker against the same five kinds of wrong answer, built from its own reference solution.

Each kind must fail with a message naming its symptom: a NaN in the result, a function that
never returns (the time limit), the wrong dtype, the wrong device, and an answer that is right
only on small inputs (every size at most SMALL, one layer). The per-module files
(test_exercises_ch*.py) add the plausible conceptual mistakes of each exercise.
"""

import importlib

import pytest
import torch
from torch import nn

import seqattn_lib.exercises as ex

CHECKERS = {m: importlib.import_module(f"seqattn_lib.exercises.{m}") for m in ex.MODULES}
EXERCISES = [(m, name) for m in ex.MODULES for name in CHECKERS[m].SOLUTIONS]
SMALL = 6  # an answer hard-wired for sizes up to this must fail: every checker tries larger ones


def _map(out, tensor_fn, number_fn=lambda x: x):
    if isinstance(out, torch.Tensor):
        return tensor_fn(out)
    if isinstance(out, bool):
        return out
    if isinstance(out, (int, float)):
        return number_fn(out)
    if isinstance(out, (tuple, list)):
        return type(out)(_map(o, tensor_fn, number_fn) for o in out)
    return out


def _tensors(out):
    found = []
    _map(out, lambda t: found.append(t) or t)
    return found


def _run(module, name, wrong):
    return getattr(CHECKERS[module], f"check_{name}")(wrong)


def _with_nan(t):
    if not t.is_floating_point() or t.numel() == 0:
        return t
    first = torch.zeros(t.shape, dtype=torch.bool)
    first.view(-1)[0] = True
    return torch.where(first, torch.tensor(float("nan"), dtype=t.dtype), t)


def _is_small(args) -> bool:
    for a in args:
        if isinstance(a, torch.Tensor) and any(size > SMALL for size in a.shape):
            return False
        if isinstance(a, int) and not isinstance(a, bool) and a > SMALL:
            return False
        if isinstance(a, (list, tuple)) and (len(a) > SMALL or not _is_small(a)):
            return False
        if isinstance(a, dict) and not _is_small(list(a.values())):
            return False
        if isinstance(a, nn.Module):
            if getattr(a, "num_layers", 1) > 1:
                return False
            if not _is_small(list(a.parameters())):
                return False
    return True


def _off(t):
    return ~t if t.dtype == torch.bool else t * 1.1 + 0.1


def _ids(case):
    return f"{case[0]}.{case[1]}"


@pytest.mark.parametrize("case", EXERCISES, ids=_ids)
def test_nan_in_the_result_is_named(case):
    module, name = case
    reference = CHECKERS[module].SOLUTIONS[name]
    if not any(t.is_floating_point() for t in _tensors(_sample_output(module, name))) and not _numeric(module, name):
        pytest.skip("the result holds no floating-point number (a mask)")
    result = _run(module, name, lambda *a, **k: _map(reference(*a, **k), _with_nan, lambda x: float("nan")))
    assert result.status == ex.FAILED and "NaN" in result.message, result.message


@pytest.mark.parametrize("case", EXERCISES, ids=_ids)
def test_endless_loop_hits_the_time_limit(case, monkeypatch):
    monkeypatch.setattr(ex, "TIME_LIMIT", 0.05)

    def endless(*args, **kwargs):
        while True:
            pass

    result = _run(*case, endless)
    assert result.status == ex.FAILED and "did not return within 0.05 s" in result.message, result.message


@pytest.mark.parametrize("case", EXERCISES, ids=_ids)
def test_wrong_dtype_is_named(case):
    module, name = case
    reference = CHECKERS[module].SOLUTIONS[name]
    if not _tensors(_sample_output(module, name)):
        pytest.skip("the result is a number, not a tensor")
    wrong = lambda *a, **k: _map(reference(*a, **k), lambda t: t.float() if t.dtype == torch.bool else t.double())  # noqa: E731
    result = _run(module, name, wrong)
    assert result.status == ex.FAILED and "dtype" in result.message, result.message


@pytest.mark.parametrize("case", EXERCISES, ids=_ids)
def test_wrong_device_is_named(case):
    module, name = case
    reference = CHECKERS[module].SOLUTIONS[name]
    if not _tensors(_sample_output(module, name)):
        pytest.skip("the result is a number, not a tensor")
    result = _run(module, name, lambda *a, **k: _map(reference(*a, **k), lambda t: t.to("meta")))
    assert result.status == ex.FAILED and "device" in result.message and "raised" not in result.message, result.message


@pytest.mark.parametrize("case", EXERCISES, ids=_ids)
def test_right_only_on_small_inputs_fails(case):
    module, name = case
    reference = CHECKERS[module].SOLUTIONS[name]

    def small_only(*args, **kwargs):
        out = reference(*args, **kwargs)
        return out if _is_small(list(args) + list(kwargs.values())) else _map(out, _off, lambda x: x + 0.1)

    result = _run(module, name, small_only)
    assert result.status == ex.FAILED and "raised" not in result.message, result.message


# ------------------------------------------------------------------ what each reference returns
_OUTPUTS = {}


def _sample_output(module, name):
    """The reference's output on the checker's first call (recorded by running the checker once)."""
    if (module, name) not in _OUTPUTS:
        reference = CHECKERS[module].SOLUTIONS[name]

        def recording(*args, **kwargs):
            out = reference(*args, **kwargs)
            _OUTPUTS.setdefault((module, name), out)
            return out

        assert _run(module, name, recording)
    return _OUTPUTS[(module, name)]


def _numeric(module, name):
    out = _sample_output(module, name)
    return isinstance(out, (int, float)) and not isinstance(out, bool)
