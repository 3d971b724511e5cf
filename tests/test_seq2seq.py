import pytest
import torch
import torch.nn.functional as F

from seqattn_lib.seq2seq import (
    AttentionDecoder,
    Decoder,
    Encoder,
    beam_search,
    greedy_decode,
    length_normalised_score,
    sequence_log_prob,
)

BOS, EOS = 2, 3


def models():
    torch.manual_seed(0)
    return [
        Decoder(11, 9, 8, 16),
        AttentionDecoder(11, 9, 8, 16, "additive"),
        AttentionDecoder(11, 9, 8, 16, "multiplicative"),
    ]


def example_batch():
    g = torch.Generator().manual_seed(1)
    src = torch.randint(4, 11, (3, 6), generator=g)
    lengths = torch.tensor([6, 4, 2])
    src[1, 4:] = 0
    src[2, 2:] = 0
    return src, lengths


@pytest.mark.parametrize("model", models())
def test_teacher_forcing_matches_step_by_step(model):
    src, lengths = example_batch()
    tgt = torch.randint(4, 9, (3, 5))
    tgt[:, 0] = BOS
    full = model(src, lengths, tgt)
    assert full.shape == (3, 5, 9)
    memory = model.encode(src, lengths)
    state, steps = model.init_state(memory), []
    for t in range(5):
        logits, state, _ = model.decode(tgt[:, t : t + 1], state, memory)
        steps.append(logits)
    assert torch.allclose(full, torch.cat(steps, 1), atol=1e-5)


@pytest.mark.parametrize("model", models()[1:])
def test_padding_is_masked_and_ignored(model):
    src, lengths = example_batch()
    tgt = torch.full((3, 4), BOS)
    memory = model.encode(src, lengths)
    _, _, a = model.decode(tgt, model.init_state(memory), memory)
    assert a.shape == (3, 4, 6)
    assert torch.allclose(a.sum(-1), torch.ones(3, 4), atol=1e-5)
    assert (a[2, :, 2:] == 0).all() and (a[1, :, 4:] == 0).all()
    changed = src.clone()
    changed[2, 2:] = 7  # different tokens in the padding must not change the output
    assert torch.allclose(model(src, lengths, tgt), model(changed, lengths, tgt), atol=1e-6)


def test_encoder_final_state_uses_true_length():
    torch.manual_seed(0)
    enc = Encoder(11, 8, 16)
    src, lengths = example_batch()
    alone = enc(src[2:, :2], lengths[2:])
    assert torch.allclose(enc(src, lengths).s_0[2], alone.s_0[0], atol=1e-5)


def test_bad_inputs():
    model = models()[1]
    src, lengths = example_batch()
    with pytest.raises(ValueError):
        model(src.float(), lengths, src)
    with pytest.raises(ValueError):
        model(src, torch.tensor([6, 4]), src)
    with pytest.raises(ValueError):
        model(src, torch.tensor([7, 4, 2]), src)
    with pytest.raises(ValueError):
        AttentionDecoder(11, 9, score="cosine")
    with pytest.raises(ValueError):
        beam_search(model, src, lengths, BOS, EOS)  # one example at a time
    with pytest.raises(ValueError):
        length_normalised_score(torch.tensor(-1.0), torch.tensor(0))


def test_length_normalised_score():
    lp, n = torch.tensor([-6.0, -6.0]), torch.tensor([2, 6])
    assert torch.allclose(length_normalised_score(lp, n, 0.0), lp)
    assert torch.allclose(length_normalised_score(lp, n, 1.0), torch.tensor([-3.0, -1.0]))


@pytest.mark.parametrize("model", models())
def test_greedy_stops_and_beam_properties(model):
    src, lengths = example_batch()
    tokens, weights = greedy_decode(model, src, lengths, BOS, EOS, max_len=12)
    assert len(tokens) == 3 and all(EOS not in t and len(t) <= 12 for t in tokens)
    if weights is not None:
        assert all(w.shape == (len(t) + 1 if len(t) < 12 else 12, int(n)) for w, t, n in zip(weights, tokens, lengths))
    for i in range(3):
        one, n = src[i : i + 1, : int(lengths[i])], lengths[i : i + 1]
        greedy = greedy_decode(model, one, n, BOS, EOS, max_len=12)[0][0]
        assert beam_search(model, one, n, BOS, EOS, beam_size=1, max_len=12)[0] == greedy
        g_lp = sequence_log_prob(model, one, n, greedy, BOS, EOS) / (len(greedy) + 1)
        best, score = beam_search(model, one, n, BOS, EOS, beam_size=4, max_len=12)
        assert score >= g_lp - 1e-5
        if len(best) < 12:  # finished with <eos>: its score is its normalised log-probability
            lp = sequence_log_prob(model, one, n, best, BOS, EOS)
            assert score == pytest.approx(lp / (len(best) + 1), abs=1e-4)


def test_trained_model_beam_finds_likelier_than_greedy():
    # A model peaked on a fixed output: greedy and beam agree on it.
    torch.manual_seed(0)
    model = AttentionDecoder(11, 9, 8, 16)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    src, lengths = example_batch()
    tgt = torch.tensor([[BOS, 5, 6, 7], [BOS, 7, 6, 5], [BOS, 4, 4, 8]])
    out = torch.tensor([[5, 6, 7, EOS], [7, 6, 5, EOS], [4, 4, 8, EOS]])
    for _ in range(60):
        loss = F.cross_entropy(model(src, lengths, tgt).flatten(0, 1), out.flatten())
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    tokens, _ = greedy_decode(model, src, lengths, BOS, EOS)
    assert tokens == [[5, 6, 7], [7, 6, 5], [4, 4, 8]]
    best, _ = beam_search(model, src[1:2, :4], lengths[1:2], BOS, EOS, beam_size=3)
    assert best == [7, 6, 5]


def test_fit_lowers_the_loss_and_rejects_other_models():
    from seqattn_lib.data.translation import load_task
    from seqattn_lib.seq2seq import fit, seq2seq_loss

    task = load_task("dates", n_dates=200)
    torch.manual_seed(0)
    model = AttentionDecoder(len(task.src_vocab), len(task.tgt_vocab), d_emb=8, d_h=16)
    before = seq2seq_loss(model, task.batch(task.train[:64])).item()
    history = fit(model, task, steps=30, lr=1e-2, verbose=False)
    assert not model.training and history.cpu_seconds > 0 and history.steps == 30
    with torch.no_grad():
        assert seq2seq_loss(model, task.batch(task.train[:64])).item() < 0.8 * before
    with pytest.raises(ValueError, match="Seq2Seq"):
        fit(torch.nn.Linear(2, 2), task, steps=1)


def test_ctc_greedy_decode_merges_runs_then_drops_blanks():
    from seqattn_lib.seq2seq import ctc_greedy_decode

    paths = torch.tensor([[3, 3, 0, 3, 1, 1, 0, 0], [0, 2, 2, 2, 0, 0, 0, 0]])
    log_probs = torch.nn.functional.one_hot(paths, 4).float().log_softmax(-1)
    assert ctc_greedy_decode(log_probs, torch.tensor([8, 3])) == [[3, 3, 1], [2]]  # row 2: frames 3+ are padding
    assert ctc_greedy_decode(log_probs, torch.tensor([0, 8])) == [[], [2]]
    assert ctc_greedy_decode(log_probs, torch.tensor([8, 8]), blank=3) == [[0, 1, 0], [0, 2, 0]]
    with pytest.raises(ValueError, match="lengths"):
        ctc_greedy_decode(log_probs, torch.tensor([9, 1]))
    with pytest.raises(ValueError, match="blank"):
        ctc_greedy_decode(log_probs, torch.tensor([8, 8]), blank=4)
    with pytest.raises(ValueError, match="log_probs"):
        ctc_greedy_decode(paths, torch.tensor([8, 8]))
