"""Every chapter notebook is stored the way the book needs it."""

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _toc_files(node) -> set[str]:
    files = set()
    if isinstance(node, dict):
        if "file" in node:
            files.add(node["file"])
        if "root" in node:
            files.add(node["root"])
        for value in node.values():
            files |= _toc_files(value)
    elif isinstance(node, list):
        for item in node:
            files |= _toc_files(item)
    return files


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_without_outputs_with_python3_kernel(path):
    nb = json.loads(path.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert not cell.get("outputs"), f"cell {cell.get('id')} has stored outputs"
            assert cell.get("execution_count") is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_one_title_and_no_skipped_heading_levels(path):
    nb = json.loads(path.read_text())
    levels = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        fences = []  # open code/directive fences: headings inside them do not count
        for line in "".join(cell["source"]).splitlines():
            fence = re.match(r"^\s*(`{3,}|~{3,}|:{3,})(.*)$", line)
            if fence:
                mark, info = fence.group(1), fence.group(2).strip()
                if fences and mark[0] == fences[-1][0] and len(mark) >= len(fences[-1]) and not info:
                    fences.pop()
                else:
                    fences.append(mark)
                continue
            heading = re.match(r"^(#{1,6}) ", line)
            if heading and not fences:
                levels.append(len(heading.group(1)))
    assert levels and levels[0] == 1 and levels.count(1) == 1, levels
    for a, b in zip(levels, levels[1:]):
        assert b <= a + 1, f"heading jumps from level {a} to {b}"


def test_every_notebook_and_page_is_in_the_toc():
    toc = _toc_files(yaml.safe_load((ROOT / "_toc.yml").read_text()))
    pages = {f"notebooks/{p.stem}" for p in NOTEBOOKS} | {f"book/{p.stem}" for p in (ROOT / "book").glob("*.md")}
    assert pages <= toc, sorted(pages - toc)
    for entry in toc:
        assert list(ROOT.glob(entry + ".*")), f"{entry} is in the toc but does not exist"


def test_exercise_labels_are_unique():
    labels = []
    for path in NOTEBOOKS + sorted((ROOT / "book").glob("*.md")):
        labels += re.findall(r":label: (ex-[\w-]+)", path.read_text())
    assert len(labels) == len(set(labels)), sorted({x for x in labels if labels.count(x) > 1})


# A seeding call with a number in it, or a number assigned to a seed: `manual_seed(0)`,
# `random.seed(1)`, `default_rng(2)`, `Random(3)`, `seed=4`, `random_state = 5`.
LITERAL_SEED = re.compile(r"(manual_seed|\bseed|default_rng|RandomState|Random)\(\s*\d|\b(seed|random_state)\s*=\s*\d")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_literal_seed(path):
    """Every random choice derives from SEQATTN_SEED through seqattn_lib.runtime
    (generator, reseed, seed_for): a notebook never seeds anything itself."""
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            for line in "".join(cell["source"]).splitlines():
                assert not LITERAL_SEED.search(line), f"cell {cell.get('id')} seeds by hand: {line.strip()}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_glued_reference_is_glued(path):
    """A `{glue:...}` role in the prose names a key that a code cell of the notebook glues
    (MyST-NB collects a page's glued values before it renders the prose)."""
    cells = json.loads(path.read_text())["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    # f-string keys (glue(f"ch04_exact_{kind}", ...)) match any text in place of each {...}
    keys = re.findall(r"\bglue\(\s*f?[\"']([^\"']+)[\"']", code)
    patterns = [re.sub(r"\\\{[^}]*\\\}", "[^`]+", re.escape(k)) for k in keys]
    for cell in cells:
        if cell["cell_type"] == "markdown":
            for key in re.findall(r"\{glue(?::\w*)?\}`([^`:]+)", "".join(cell["source"])):
                assert any(re.fullmatch(p, key) for p in patterns), f"{key!r} is never glued"


# The core classes and functions each chapter teaches, shown from the library's own source.
SHOWN_FROM_SOURCE = {
    "01_sequence_models_rnn": {"rnn.py": ["rnn_step"]},
    "02_attention": {"attention.py": ["scaled_dot_product_attention", "AdditiveAttention.score"]},
    "03_lstm_gru": {"lstm.py": ["LSTMCell.forward", "GRUCell.forward"]},
    "04_seq2seq_attention": {"seq2seq.py": ["AttentionDecoder.attend", "AttentionDecoder.decode"]},
    "05_transformer": {"attention.py": ["MultiHeadAttention.project"],
                       "transformer.py": ["EncoderLayer", "DecoderLayer", "Transformer.encode", "Transformer.decode"]},
    "05c_language_model": {"transformer.py": ["GPT"]},
}
INCLUDE = re.compile(r"```\{literalinclude\} /(seqattn_lib/\S+)\n(?::[a-z]+:.*\n)*?:pyobject: (\S+)")


def _defined(path: Path, dotted: str) -> bool:
    import ast

    nodes = ast.parse(path.read_text()).body
    for part in dotted.split("."):
        match = [n for n in nodes if isinstance(n, ast.ClassDef | ast.FunctionDef) and n.name == part]
        if not match:
            return False
        nodes = match[0].body
    return True


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_core_code_is_included_from_the_library(path):
    text = "".join("".join(c["source"]) + "\n" for c in json.loads(path.read_text())["cells"]
                   if c["cell_type"] == "markdown")
    included = INCLUDE.findall(text)
    for file, obj in included:  # every include names an object that exists
        assert _defined(ROOT / file, obj), f"{path.name} includes {obj} from {file}, which does not define it"
    for file, objects in SHOWN_FROM_SOURCE.get(path.stem, {}).items():
        for obj in objects:
            assert (f"seqattn_lib/{file}", obj) in included, f"{path.name} should show {obj} from seqattn_lib/{file}"


# The architecture diagrams (hand-written SVG in book/figures) each chapter teaches with.
FIGURES = {
    "01_sequence_models_rnn": ["rnn_unrolled"],
    "02_attention": ["attention_masks"],
    "03_lstm_gru": ["lstm_cell", "gru_cell"],
    "04_seq2seq_attention": ["seq2seq_attention"],
    "05_transformer": ["scaled_dot_product_attention", "multi_head_attention", "pre_post_norm"],
    "05c_language_model": ["kv_cache"],
    "06g_fine_tuning": ["pretrain_fine_tune"],
    "07_efficiency": ["attention_masks"],
}
FIGURE = re.compile(r"```\{figure\} \.\./book/figures/(\S+)\.svg\n((?::\w+:.*\n)*)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_diagrams_are_numbered_figures_with_alt_text_and_referenced(path):
    text = "".join("".join(c["source"]) + "\n" for c in json.loads(path.read_text())["cells"]
                   if c["cell_type"] == "markdown")
    shown = FIGURE.findall(text)
    for name, options in shown:
        fields = dict(re.findall(r":(\w+): (.*)", options))
        assert (ROOT / "book" / "figures" / f"{name}.svg").is_file(), name
        assert len(fields.get("alt", "")) >= 40, f"{name}: alt text missing or too short"
        assert "name" in fields and f"{{numref}}`{fields['name']}`" in text, f"{name}: not referenced in the text"
    assert set(FIGURES.get(path.stem, [])) <= {name for name, _ in shown}


def test_every_diagram_is_shown_and_is_self_contained_svg():
    import xml.dom.minidom

    shown = {name for names in FIGURES.values() for name in names}
    for svg in sorted((ROOT / "book" / "figures").glob("*.svg")):
        assert svg.stem in shown, f"{svg.name} is not in FIGURES"
        root = xml.dom.minidom.parse(str(svg)).documentElement
        assert root.tagName == "svg" and root.getAttribute("viewBox"), svg.name
        assert root.getElementsByTagName("title") and root.getElementsByTagName("desc"), svg.name
        assert not root.getElementsByTagName("script") and not root.getElementsByTagName("image"), svg.name
        assert "@import" not in svg.read_text() and "href=\"http" not in svg.read_text(), svg.name


SOLUTION_BLOCK = re.compile(r"(`{4,})\{solution\} (\S+)\n(.*?)\n\1", re.S)
EXERCISE_BLOCK = re.compile(r"(`{3,})\{exercise\}[^\n]*\n:label: (\S+)\n(.*?)\n\1", re.S)
SOLUTION_INCLUDE = re.compile(
    r"```\{literalinclude\} /seqattn_lib/exercises/(\w+)\.py\n(?::[^\n]*\n)*?:pyobject: (\w+)\n"
)


def _exercise_blocks():
    """``(notebook, label, exercise text, solution text or None)`` for every exercise of every notebook."""
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text())["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        solutions = {m.group(2): m.group(3) for m in SOLUTION_BLOCK.finditer(text)}
        for m in EXERCISE_BLOCK.finditer(text):
            yield path.name, m.group(2), m.group(3), solutions.get(m.group(2))


def test_displayed_solutions_are_the_library_reference_code():
    """A folded solution never shows hand-written code: its code is a `literalinclude` of a
    reference solution in ``seqattn_lib/exercises/<module>.py`` (a ``SOLUTIONS`` entry, which
    tests/test_exercises_grading.py runs through its checker), so what the book shows is what CI checks."""
    import importlib

    shown = set()
    for notebook, label, exercise, solution in _exercise_blocks():
        if solution is None:
            continue
        code = re.sub(r"^```\{[^}]+\}.*?^```[ \t]*$", "", solution, flags=re.M | re.S)  # directives, includes
        assert not re.search(r"^```", code, re.M), f"{notebook} {label}: a hand-written code block"
        includes = SOLUTION_INCLUDE.findall(solution)
        for module, name in includes:
            solutions = importlib.import_module(f"seqattn_lib.exercises.{module}").SOLUTIONS
            names = {fn.__name__: key for key, fn in solutions.items()}
            assert name in names, f"{notebook} {label}: {module}.{name} is not one of {module}.SOLUTIONS"
            shown.add((module, names[name]))
        # an exercise that names its checker is coded: chapters 1-7 show its solution from the library
        # (the appendix's "find the bug" solutions point at the fixed code its cells run through the checkers)
        if re.search(r"\bcheck_\w+", exercise) and not notebook.startswith("08_"):
            assert includes, f"{notebook} {label}: a coded exercise's solution should include its library code"
    from seqattn_lib.exercises import MODULES

    for module in [m for m in MODULES if m != "mistakes"]:
        for key in importlib.import_module(f"seqattn_lib.exercises.{module}").SOLUTIONS:
            assert (module, key) in shown, f"{module}.SOLUTIONS[{key!r}] is shown in no folded solution"


def test_exercise_labels_follow_their_notebook():
    """Exercise labels are ``ex-<chapter part>-...`` of their notebook (``06b_forecasting`` -> ``ex-ch06b-``)."""
    for notebook, label, _, _ in _exercise_blocks():
        part = notebook.split("_")[0]
        chapter = part.rstrip("abcdef")
        allowed = {f"ex-ch{part}-"} if chapter == "06" else {f"ex-ch{part}-", f"ex-ch{chapter}-"}
        assert any(label.startswith(p) for p in allowed), f"{notebook}: label {label} should start with {allowed}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_code_cell_is_the_bootstrap_cell(path):
    """The same first code cell in every chapter (``seqattn_lib.bootstrap.CELL``): it installs the
    library and data packages on Colab or Kaggle and does nothing here; hidden in the HTML book.
    ``python scripts/update_bootstrap_cell.py`` writes it."""
    from seqattn_lib.bootstrap import CELL

    code = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    assert "".join(code[0]["source"]) == CELL, "run scripts/update_bootstrap_cell.py"
    assert code[0]["metadata"].get("tags") == ["bootstrap", "remove-cell"]
    assert sum("bootstrap" in c["metadata"].get("tags", []) for c in code) == 1


def test_each_chapter_6_section_has_three_exercises_two_checked():
    counts = {}
    for notebook, _, exercise, _ in _exercise_blocks():
        if notebook.startswith("06"):
            total, checked = counts.get(notebook, (0, 0))
            counts[notebook] = (total + 1, checked + bool(re.search(r"\bcheck_\w+", exercise)))
    assert len(counts) == 7, sorted(counts)
    for notebook, (total, checked) in counts.items():
        assert total >= 3 and checked >= 2, f"{notebook}: {total} exercises, {checked} checked"
