import threading
import time

import pytest
import torch

import seqattn_lib.exercises as ex
from seqattn_lib.exercises import ExerciseFailure, call_with_time_limit, expect_close, expect_same_gradients, run_checks


def _check_square(fn):
    x = torch.tensor([1.0, -2.0, 3.0])
    expect_close(fn(x), x**2)
    expect_same_gradients(fn, lambda t: t**2, [x], ["x"])


def _none_after_an_answer():
    """A function that answers once, then returns None: a failure, not a stub."""
    answers = iter([lambda x: x * x])
    return lambda x: next(answers, lambda x: None)(x)


def test_passes_correct_function(capsys):
    assert run_checks("square", lambda x: x * x, [_check_square])
    assert "PASS square" in capsys.readouterr().out


def test_reports_wrong_values_shape_type_gradient_and_exceptions(capsys):
    cases = {
        "values are wrong": lambda x: x * 2,
        "shape": lambda x: (x * x)[:2],
        "torch.Tensor, got NoneType": _none_after_an_answer(),
        "raised ZeroDivisionError": lambda x: 1 / 0,
        "does not depend on the inputs": lambda x: (x * x).detach(),
        "expected a function": 42,
    }
    for expected, fn in cases.items():
        result = run_checks("square", fn, [_check_square])
        assert not result and expected in result.message, (expected, result.message)
    assert capsys.readouterr().out.count("FAIL") == len(cases)


def test_gradient_mismatch_detected():
    def fake(t):  # right values, wrong gradient
        return t.detach() ** 2 + 0 * t

    result = run_checks("square", fake, [_check_square])
    assert not result and "gradient with respect to x" in result.message


def test_failure_exception_is_an_exception():
    assert issubclass(ExerciseFailure, Exception)


@pytest.mark.parametrize(
    "stub, symptom",
    [(lambda x: (_ for _ in ()).throw(NotImplementedError), "NotImplementedError"), (lambda x: None, "returns None")],
)
def test_stub_is_not_attempted(stub, symptom, capsys):
    result = run_checks("square", stub, [_check_square])
    assert not result and result.status == ex.NOT_ATTEMPTED and symptom in result.message
    assert "Traceback" not in result.message
    assert capsys.readouterr().out.startswith("NOT ATTEMPTED square")


def test_not_implemented_after_an_answer_is_a_failure():
    def partial(x):
        if x.dim() == 1 and x[0] > 0:
            return x * x
        raise NotImplementedError("only positive first entries")

    checks = [_check_square, lambda f: f(torch.tensor([-1.0]))]
    result = run_checks("square", partial, checks)
    assert result.status == ex.FAILED and "check 2/2" in result.message


def test_status_of_passed_and_failed():
    assert run_checks("square", lambda x: x * x, [_check_square]).status == ex.PASSED
    assert run_checks("square", lambda x: x, [_check_square]).status == ex.FAILED


def test_infinite_loop_hits_time_limit_on_the_main_thread(monkeypatch):
    monkeypatch.setattr(ex, "TIME_LIMIT", 0.5)

    def endless(x):
        while True:
            pass

    start = time.monotonic()
    result = run_checks("square", endless, [_check_square, _check_square])
    assert time.monotonic() - start < 3
    assert result.status == ex.FAILED
    assert "check 1/2: your function did not return within 0.5 s (an infinite loop?)" in result.message


def test_time_limit_in_a_worker_thread(monkeypatch):
    """Off the main thread (no SIGALRM) the check runs in a thread that is abandoned after the limit."""
    monkeypatch.setattr(ex, "TIME_LIMIT", 0.5)
    stop, box = threading.Event(), {}

    def endless(x):  # stops when the test ends, so no thread keeps spinning
        while not stop.is_set():
            time.sleep(0.01)

    thread = threading.Thread(target=lambda: box.setdefault("result", run_checks("square", endless, [_check_square])))
    start = time.monotonic()
    thread.start()
    thread.join(5)
    stop.set()
    assert time.monotonic() - start < 3
    assert "did not return within 0.5 s" in box["result"].message


def test_call_with_time_limit_returns_and_reraises():
    assert call_with_time_limit(lambda: 3, 1.0) == 3
    with pytest.raises(ZeroDivisionError):
        call_with_time_limit(lambda: 1 / 0, 1.0)
    with pytest.raises(ValueError, match="seconds"):
        call_with_time_limit(lambda: 3, 0)
    with pytest.raises(TypeError, match="fn"):
        call_with_time_limit(3, 1.0)


@pytest.mark.parametrize("value, symptom", [(float("nan"), "NaN"), (float("inf"), "inf")])
def test_expect_close_names_nan_and_inf(value, symptom):
    actual = torch.tensor([1.0, value, 3.0])
    with pytest.raises(ExerciseFailure, match=f"your result contains {symptom} \\(first at index \\(1,\\)\\)"):
        expect_close(actual, torch.tensor([1.0, 2.0, 3.0]))
    result = run_checks("square", lambda x: x * x * value, [_check_square])
    assert f"your result contains {symptom}" in result.message
