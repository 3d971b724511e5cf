"""A learner's edition of the coded exercises, and a grader for it.

:func:`export` writes one file per checker module (``ch01.py``, ...) holding, for each
exercise, its statement as a docstring and a stub that raises ``NotImplementedError``.
:func:`grade` imports each file of such a folder, runs every function through its
checker and returns one :class:`~seqattn_lib.exercises.CheckResult` per exercise; a file
that is missing, does not compile or fails to import is reported for its exercises.
``python -m seqattn_lib.exercises export|grade DIR`` runs them from the command line.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import io
import textwrap
from pathlib import Path

from . import FAILED, MODULES, NOT_ATTEMPTED, PASSED, CheckResult, TimeLimitExceeded, call_with_time_limit

HEADER = '''"""Exercises of seqattn_lib.exercises.{module}: replace each `raise NotImplementedError` with your code.

Grade this folder with `python -m seqattn_lib.exercises grade DIR`; for a hint, run
`python -c "from seqattn_lib.exercises import hint; hint('{module}', 'NAME')"`.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn
'''


def _checker_module(module: str):
    if module not in MODULES:
        raise ValueError(f"module should be one of {', '.join(MODULES)}, got {module!r}")
    return importlib.import_module(f"{__package__}.{module}")


def _stub(module: str, name: str, checker, solution) -> str:
    signature = inspect.signature(solution)
    params = [p.replace(annotation=inspect.Parameter.empty) for p in signature.parameters.values()]
    bare = signature.replace(parameters=params, return_annotation=inspect.Signature.empty)
    statement = inspect.getdoc(checker).replace("``fn(", f"``{name}(").replace("Check ``", "``")
    doc = f"Exercise {name} (checked by check_{name} in seqattn_lib.exercises.{module}).\n\n{statement}"
    body = textwrap.indent(doc, "    ").lstrip()
    return f'\n\ndef {name}{bare}:\n    r"""{body}\n    """\n    raise NotImplementedError\n'


def learner_file(module: str) -> str:
    """Return the text of the learner's ``{module}.py``: a docstring and a stub per exercise."""
    checkers = _checker_module(module)
    stubs = [_stub(module, name, getattr(checkers, f"check_{name}"), fn) for name, fn in checkers.SOLUTIONS.items()]
    return HEADER.format(module=module) + "".join(stubs)


def export(directory: str | Path, overwrite: bool = False) -> list[Path]:
    """Write the learner's copy of every exercise into ``directory``; return the files written.

    Refuses (``FileExistsError``) to replace a file that exists unless ``overwrite``.
    """
    if not isinstance(directory, (str, Path)):
        raise TypeError(f"directory should be a str or Path, got {type(directory).__name__}")
    directory = Path(directory)
    paths = [directory / f"{module}.py" for module in MODULES]
    existing = [str(p) for p in paths if p.exists()]
    if existing and not overwrite:
        raise FileExistsError(f"would overwrite your answers in {', '.join(existing)} (pass overwrite=True / --force)")
    directory.mkdir(parents=True, exist_ok=True)
    for module, path in zip(MODULES, paths):
        path.write_text(learner_file(module), encoding="utf-8")
    return paths


def _load(path: Path, module: str, time_limit: float):
    """Import the learner's file: ``(module, None, None)``, or ``(None, status, why it could not be imported)``."""
    if not path.exists():
        return None, NOT_ATTEMPTED, f"{path} is missing (create it with `python -m seqattn_lib.exercises export`)"
    spec = importlib.util.spec_from_file_location(f"_seqattn_answers_{module}", path)
    learner = importlib.util.module_from_spec(spec)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            call_with_time_limit(lambda: spec.loader.exec_module(learner), time_limit)
    except SyntaxError as error:
        return None, FAILED, f"{path.name} has a syntax error on line {error.lineno}: {error.msg}"
    except TimeLimitExceeded:
        return None, FAILED, f"importing {path.name} did not finish within {time_limit:g} s (an infinite loop?)"
    except Exception as error:  # the learner's file may raise anything while importing
        return None, FAILED, f"importing {path.name} raised {type(error).__name__}: {error}"
    return learner, None, None


def grade(directory: str | Path, time_limit: float = 20.0) -> list[tuple[str, CheckResult]]:
    """Run every exercise's function found in ``directory`` through its checker.

    Returns ``(module, result)`` pairs, one per exercise, in the order of :data:`MODULES`.
    ``time_limit`` bounds the import of each file and each check, in seconds.
    """
    if not isinstance(directory, (str, Path)):
        raise TypeError(f"directory should be a str or Path, got {type(directory).__name__}")
    if not Path(directory).is_dir():
        raise ValueError(f"directory should be an existing folder, got {directory!r}")
    if not isinstance(time_limit, (int, float)) or not time_limit > 0:
        raise ValueError(f"time_limit should be a positive number of seconds, got {time_limit!r}")
    package = importlib.import_module(__package__)  # run_checks reads TIME_LIMIT from it at call time
    results = []
    previous, package.TIME_LIMIT = package.TIME_LIMIT, float(time_limit)
    try:
        for module in MODULES:
            checkers = _checker_module(module)
            learner, status, problem = _load(Path(directory) / f"{module}.py", module, time_limit)
            for name in checkers.SOLUTIONS:
                fn = getattr(learner, name, None)
                if problem is not None:
                    result = CheckResult(name, status, problem)
                elif fn is None:
                    result = CheckResult(name, FAILED, f"{module}.py has no function named {name}")
                else:
                    with contextlib.redirect_stdout(io.StringIO()):
                        result = getattr(checkers, f"check_{name}")(fn)
                results.append((module, result))
    finally:
        package.TIME_LIMIT = previous
    return results


def report(results: list[tuple[str, CheckResult]]) -> str:
    """Format graded ``results`` as a table with a total line."""
    rows = [(f"{module}.{r.name}", r.status, r.message) for module, r in results]
    width = max([len("exercise"), *(len(row[0]) for row in rows)])
    lines = [f"{'exercise':<{width}}  {'status':<13}  message", "-" * (width + 40)]
    lines += [f"{ex:<{width}}  {status:<13}  {message}" for ex, status, message in rows]
    counts = {s: sum(r.status == s for _, r in results) for s in (PASSED, FAILED, NOT_ATTEMPTED)}
    lines.append(
        f"total: {counts[PASSED]}/{len(results)} passed, {counts[FAILED]} failed, "
        f"{counts[NOT_ATTEMPTED]} not attempted"
    )
    return "\n".join(lines)
