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
    "03_lstm_gru": {"lstm.py": ["LSTMCell.forward", "GRUCell.forward"]},
    "04_seq2seq_attention": {"seq2seq.py": ["AttentionDecoder.attend", "AttentionDecoder.decode"]},
    "05_transformer": {"attention.py": ["MultiHeadAttention.project"],
                       "transformer.py": ["EncoderLayer", "DecoderLayer"]},
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
