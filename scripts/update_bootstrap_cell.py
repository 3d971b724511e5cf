"""Write the bootstrap cell (``seqattn_lib.bootstrap.CELL``) as the first code cell of every chapter.

The cell is tagged ``bootstrap`` (how this script finds it again) and ``remove-cell`` (the
book's HTML does not show it: it does nothing there; a notebook opened in Colab, Kaggle or
Binder shows and runs it). Run this after changing ``CELL`` or the library's version;
``tests/test_notebooks_format.py`` fails until every notebook has the current text.
Each notebook is loaded, changed and saved at once (others may edit other cells).

    python scripts/update_bootstrap_cell.py
"""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from seqattn_lib.bootstrap import CELL  # noqa: E402

TAGS = ["bootstrap", "remove-cell"]


def source_lines(text: str) -> list[str]:
    """A cell's source as nbformat stores it: lines that keep their newline."""
    return text.splitlines(keepends=True)


def update(path: Path) -> bool:
    """Insert or refresh the cell in the notebook at ``path``; return whether the file changed."""
    raw = path.read_text(encoding="utf-8")
    nb = json.loads(raw)
    cells = nb["cells"]
    found = [c for c in cells if "bootstrap" in c.get("metadata", {}).get("tags", [])]
    if found:
        cell = found[0]
        cell["source"] = source_lines(CELL)
        cell["metadata"]["tags"] = TAGS
    else:
        ids = {c.get("id") for c in cells}
        new_id = secrets.token_hex(4)
        while new_id in ids:
            new_id = secrets.token_hex(4)
        cell = {"cell_type": "code", "execution_count": None, "id": new_id,
                "metadata": {"tags": list(TAGS)}, "outputs": [], "source": source_lines(CELL)}
        first_code = next(i for i, c in enumerate(cells) if c["cell_type"] == "code")
        cells.insert(first_code, cell)
    text = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    if text == raw:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def main() -> int:
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        print(f"{path.name}: {'updated' if update(path) else 'unchanged'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
