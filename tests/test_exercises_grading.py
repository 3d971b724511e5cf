"""Hints, reference solutions, the learner's edition and the grading command."""

import importlib
import inspect

import pytest

from seqattn_lib.exercises import FAILED, MODULES, NOT_ATTEMPTED, hint
from seqattn_lib.exercises.__main__ import main
from seqattn_lib.exercises.grading import export, grade, learner_file

CHECKERS = {m: importlib.import_module(f"seqattn_lib.exercises.{m}") for m in MODULES}
EXERCISES = [(m, name[len("check_"):]) for m, mod in CHECKERS.items() for name in dir(mod) if name.startswith("check_")]


@pytest.mark.parametrize("module, name", EXERCISES)
def test_every_checker_has_a_hint_and_passes_its_solution(module, name, capsys):
    text = hint(module, name)
    assert len(text) > 30 and text in capsys.readouterr().out
    assert getattr(CHECKERS[module], f"check_{name}")(CHECKERS[module].SOLUTIONS[name])


def test_no_hint_or_solution_without_a_checker():
    for module, mod in CHECKERS.items():
        names = {name for m, name in EXERCISES if m == module}
        assert set(mod.HINTS) == set(mod.SOLUTIONS) == names, module


def test_hint_refuses_unknown_names():
    with pytest.raises(ValueError, match="module"):
        hint("ch99", "causal_mask")
    with pytest.raises(ValueError, match="exercise"):
        hint("ch05", "no_such_exercise")


def test_learner_file_has_a_documented_stub_per_exercise():
    namespace = {}
    exec(compile(learner_file("ch05"), "ch05.py", "exec"), namespace)
    for name, solution in CHECKERS["ch05"].SOLUTIONS.items():
        stub = namespace[name]
        assert list(inspect.signature(stub).parameters) == list(inspect.signature(solution).parameters)
        assert f"check_{name}" in stub.__doc__
        with pytest.raises(NotImplementedError):
            stub(*[None] * len(inspect.signature(stub).parameters))


@pytest.fixture
def stubs(tmp_path):
    export(tmp_path)
    return tmp_path


def _replace(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def _status(results, module, name):
    return next(r for m, r in results if m == module and r.name == name)


def test_exported_stubs_grade_as_not_attempted(stubs, capsys):
    assert main(["grade", str(stubs)]) == 1
    out = capsys.readouterr().out
    assert f"total: 0/{len(EXERCISES)} passed, 0 failed, {len(EXERCISES)} not attempted" in out
    assert main(["export", str(stubs)]) == 2  # refuses to overwrite answers
    assert "would overwrite" in capsys.readouterr().err


def test_reference_solutions_grade_full_marks(tmp_path, capsys):
    for module, mod in CHECKERS.items():
        lines = [f"from seqattn_lib.exercises.{module} import SOLUTIONS"]
        lines += [f"{name} = SOLUTIONS[{name!r}]" for name in mod.SOLUTIONS]
        (tmp_path / f"{module}.py").write_text("\n".join(lines) + "\n")
    assert main(["grade", str(tmp_path)]) == 0
    assert f"total: {len(EXERCISES)}/{len(EXERCISES)} passed" in capsys.readouterr().out


def test_wrong_answer_fails_and_the_rest_is_graded(stubs):
    _replace(stubs / "ch05.py", "def causal_mask(n):", "def causal_mask(n):\n    return torch.ones(n, n).triu().bool()")
    results = grade(stubs)
    assert _status(results, "ch05", "causal_mask").status == FAILED
    assert _status(results, "ch05", "kv_cache_update").status == NOT_ATTEMPTED
    assert len(results) == len(EXERCISES)


def test_syntax_error_is_reported_for_the_file(stubs):
    _replace(stubs / "ch07.py", "def linear_attention(q, k, v):", "def linear_attention(q, k v):")
    results = grade(stubs)
    for name in CHECKERS["ch07"].SOLUTIONS:
        result = _status(results, "ch07", name)
        assert result.status == FAILED and "ch07.py has a syntax error on line" in result.message


def test_import_error_missing_file_and_missing_function(stubs):
    _replace(stubs / "ch01.py", "import math", "import no_such_module_xyz")
    (stubs / "ch06b.py").unlink()
    _replace(stubs / "ch06e.py", "def hit_rate_at_k", "def hit_rate")
    results = grade(stubs)
    assert "importing ch01.py raised ModuleNotFoundError" in _status(results, "ch01", "rnn_step").message
    missing = _status(results, "ch06b", "seasonal_naive")
    assert missing.status == NOT_ATTEMPTED and "is missing" in missing.message
    assert "no function named hit_rate_at_k" in _status(results, "ch06e", "hit_rate_at_k").message


def test_infinite_loops_hit_the_time_limit(stubs, capsys):
    header = "def sequence_accuracy(pred, target):"
    _replace(stubs / "ch06a.py", header, header + "\n    while True:\n        pass")
    _replace(stubs / "ch06f.py", "import math", "import math\nwhile True:\n    pass")
    assert main(["grade", str(stubs), "--time-limit", "0.5"]) == 1
    out = capsys.readouterr().out
    assert "your function did not return within 0.5 s (an infinite loop?)" in out
    assert "importing ch06f.py did not finish within 0.5 s (an infinite loop?)" in out


def test_grade_refuses_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="directory"):
        grade(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="time_limit"):
        grade(tmp_path, time_limit=0)
    with pytest.raises(TypeError, match="directory"):
        export(3)
    assert main(["grade", str(tmp_path / "nowhere")]) == 2
