"""Static checks of `make pdf`'s configuration (the PDF build itself needs TeX Live and is
not run by the tests): XeLaTeX with xeCJK and a CJK font for the glossary's Chinese terms,
SVG figures converted for LaTeX, the Debian packages that provide each, and the target."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import BOOK_PACKAGES

ROOT = Path(__file__).resolve().parents[1]


def final_sphinx_config() -> dict:
    pytest.importorskip("jupyter_book", reason=BOOK_PACKAGES)
    from jupyter_book.config import get_final_config

    config, _ = get_final_config(user_yaml=ROOT / "_config.yml", cli_config={"latex_individualpages": False},
                                 sourcedir=ROOT, raise_on_invalid=True)
    return config


def test_latex_engine_and_cjk_preamble():
    config = final_sphinx_config()
    assert config["latex_engine"] == "xelatex"  # pdflatex cannot typeset Chinese with system fonts
    preamble = config["latex_elements"]["preamble"]
    assert r"\usepackage{xeCJK}" in preamble
    fonts = re.findall(r"\\setCJK(?:main|sans|mono)font\{([^}]+)\}", preamble)
    assert fonts and all("CJK SC" in f for f in fonts), fonts  # Simplified Chinese faces of Noto CJK


def test_svg_figures_are_converted():
    config = final_sphinx_config()
    assert "svg_to_pdf" in config["extensions"]
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    try:
        from svg_to_pdf import RsvgConverter
    finally:
        sys.path.remove(str(ROOT / "book" / "_ext"))
    assert RsvgConverter.conversion_rules == [("image/svg+xml", "application/pdf")]
    figures = list((ROOT / "book" / "figures").glob("*.svg"))
    assert figures, "the book's figures are SVG files"


def test_glossary_has_chinese_terms():
    """The reason for xeCJK: if the glossary lost its Chinese, the preamble could go."""
    text = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    assert re.search(r"[\u4e00-\u9fff]", text)


def test_install_script_provides_each_tool():
    script = (ROOT / "scripts" / "install_latex.sh").read_text()
    listed = script.split("PACKAGES=(\n")[1].split("\n)\n")[0]
    packages = {line.split("#")[0].strip() for line in listed.splitlines()} - {""}
    needed = {
        "texlive-xetex",  # xelatex, fontspec
        "texlive-lang-cjk",  # xeCJK
        "texlive-lang-chinese",  # ctexhook.sty, loaded by xeCJK
        "fonts-noto-cjk",  # Noto Serif/Sans CJK SC
        "fonts-freefont-otf",  # Sphinx's default XeLaTeX fonts
        "latexmk",
        "xindy",  # Sphinx's index with XeLaTeX
        "librsvg2-bin",  # rsvg-convert, used by book/_ext/svg_to_pdf.py
    }
    assert needed <= packages, needed - packages


def test_make_pdf_target():
    makefile = (ROOT / "Makefile").read_text()
    phony = re.search(r"^\.PHONY:(.*)$", makefile, flags=re.M).group(1).split()
    assert "pdf" in phony
    recipe = re.search(r"^pdf:.*\n((?:\t.*\n)+)", makefile, flags=re.M).group(1)
    assert "scripts/install_latex.sh" in recipe
    assert "scripts/execute_notebooks.py" in recipe  # the same execution cache as `make book`
    assert "--builder pdflatex" in recipe


def test_ci_does_not_build_the_pdf():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make pdf" not in ci and "pdflatex" not in ci


def test_latex_config_in_yaml_is_valid():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["latex"]["latex_engine"] == "xelatex"
    assert config["latex"]["latex_documents"]["targetname"] == "seqattn.tex"


@pytest.mark.skipif(shutil.which("rsvg-convert") is None, reason="no rsvg-convert (scripts/install_latex.sh)")
def test_rsvg_converts_a_figure(tmp_path):
    out = tmp_path / "figure.pdf"
    svg = sorted((ROOT / "book" / "figures").glob("*.svg"))[0]
    subprocess.run(["rsvg-convert", "--format=pdf", f"--output={out}", str(svg)], check=True)
    assert out.read_bytes().startswith(b"%PDF")
