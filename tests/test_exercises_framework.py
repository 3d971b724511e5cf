import torch

from seqattn_lib.exercises import ExerciseFailure, expect_close, expect_same_gradients, run_checks


def _check_square(fn):
    x = torch.tensor([1.0, -2.0, 3.0])
    expect_close(fn(x), x**2)
    expect_same_gradients(fn, lambda t: t**2, [x], ["x"])


def test_passes_correct_function(capsys):
    assert run_checks("square", lambda x: x * x, [_check_square])
    assert "PASS square" in capsys.readouterr().out


def test_reports_wrong_values_shape_type_gradient_and_exceptions(capsys):
    cases = {
        "values are wrong": lambda x: x * 2,
        "shape": lambda x: (x * x)[:2],
        "torch.Tensor, got NoneType": lambda x: None,
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
