import pytest
import torch

from seqattn_lib.data.translation import (
    date_pairs,
    load_bible,
    load_task,
    number_pairs,
    split_pairs,
)


def test_number_pairs_german_inversion():
    assert number_pairs([97]) == [("ninety-seven", "siebenundneunzig")]
    with pytest.raises(ValueError):
        number_pairs([-1])


def test_date_pairs_reproducible_and_iso():
    a, b = date_pairs(50, seed=3), date_pairs(50, seed=3)
    assert a == b
    for _, tgt in a:
        assert len(tgt) == 10 and tgt[4] == "-" and tgt[7] == "-"
    with pytest.raises(ValueError):
        date_pairs(0)


def test_bible_pairs():
    pairs = load_bible()
    assert 5000 < len(pairs) < 6000
    assert all(len(en.split()) <= 15 and len(es.split()) <= 15 for en, es in pairs)
    assert not any("<" in en or "<" in es for en, es in pairs)


def test_split_no_overlap_and_fixed():
    pairs = [(f"s{i % 90}", f"t{i}") for i in range(100)]
    train, val, test = split_pairs(pairs, seed=1)
    sources = [{s for s, _ in part} for part in (train, val, test)]
    assert not (sources[0] & sources[1]) and not (sources[0] & sources[2]) and not (sources[1] & sources[2])
    assert len(train) + len(val) + len(test) == 100
    assert split_pairs(pairs, seed=1) == (train, val, test)
    with pytest.raises(ValueError):
        split_pairs(pairs, fractions=(0.5, 0.5, 0.5))


@pytest.mark.parametrize("name", ["dates", "bible"])
def test_task_batch(name):
    task = load_task(name)
    assert not ({s for s, _ in task.train} & {s for s, _ in task.test})
    batch = task.batch(task.train[:5])
    assert batch.src.shape[0] == 5 and batch.src_lengths.max() == batch.src.shape[1]
    assert (batch.tgt_in[:, 0] == task.tgt_vocab.bos_id).all()
    assert batch.tgt_in.shape == batch.tgt_out.shape
    assert ((batch.tgt_out == task.tgt_vocab.eos_id).sum(1) == 1).all()
    # tgt_out is tgt_in shifted left by one
    assert torch.equal(
        batch.tgt_in[:, 1:][batch.tgt_out[:, :-1] != 0], batch.tgt_out[:, :-1][batch.tgt_out[:, :-1] != 0]
    )
    with pytest.raises(ValueError):
        task.batch([])
    with pytest.raises(ValueError):
        load_task("klingon")


def test_decode_inverts_batch_targets():
    task = load_task("dates", n_dates=50)
    b = task.batch(task.train[:3])
    for row, (_, target) in zip(b.tgt_out.tolist(), task.train[:3]):
        assert task.decode(row) == task.reference(target)


def test_bible_subwords_share_the_word_split_and_round_trip():
    words, pieces = load_task("bible", seed=3), load_task("bible", seed=3, subwords=500)
    assert (words.train, words.val, words.test) == (pieces.train, pieces.val, pieces.test)
    # at most the 500 pieces (<unk> included) plus <pad>, <bos>, <eos>: a piece that was only a step
    # towards a longer merge may never occur in the tokenised training verses
    assert 400 < len(pieces.tgt_vocab) <= 500 + 3
    b = pieces.batch(pieces.test[:4])
    for row, (_, target) in zip(b.tgt_out.tolist(), pieces.test[:4]):
        assert pieces.decode(row) == pieces.reference(target) == target.lower()
    with pytest.raises(ValueError, match="subwords"):
        load_task("dates", subwords=100)
    with pytest.raises(ValueError, match="subwords"):
        load_task("bible", subwords=0)
