"""Device parity: every library module gives the same outputs and gradients on CPU and on
an accelerator (CUDA, Apple's MPS), within the tolerances stated below.

Each test builds a module on the CPU, copies it (``copy.deepcopy(...).to(device)``), feeds
both copies the same inputs, backpropagates the same random weighting of the outputs
through both, and compares the outputs, the parameters' gradients and the inputs'
gradients. The tests are parametrized over the accelerators present and skipped where
there is none.

``SEQATTN_PARITY_DEVICE=cpu`` (or ``cuda``, ``mps``) compares against that device instead;
with ``cpu`` the "device" copy is a second CPU copy, so the comparisons themselves run on a
machine without an accelerator (they must pass there exactly).

Float32 throughout (MPS has no float64). TF32 is switched OFF for these tests
(``torch.backends.cuda.matmul.allow_tf32`` and ``torch.backends.cudnn.allow_tf32``): with
TF32 a matrix product keeps only 10 mantissa bits (relative error about 1e-3 per product),
which would need tolerances so loose that a wrong mask or a swapped gate could hide in
them. The book's notebooks run with PyTorch's defaults (TF32 off for matrix products, on
for cuDNN convolutions, which the library does not use).
"""

from __future__ import annotations

import copy
import os

import pytest
import torch
from torch import nn

from seqattn_lib.attention import (
    AdditiveAttention,
    AttentionPooling,
    BilinearAttention,
    MultiHeadAttention,
    causal_mask,
    padding_mask,
    scaled_dot_product_attention,
)
from seqattn_lib.hard_attention import HardAttention
from seqattn_lib.lstm import GRU, LSTM
from seqattn_lib.rnn import RNN, CharLM
from seqattn_lib.seq2seq import AttentionDecoder
from seqattn_lib.transformer import GPT, DecoderLayer, EncoderLayer, Transformer

# Forward outputs: float32 has a unit roundoff of 6e-8; the same sum computed in another
# order (another kernel, another blocking of a matrix product) differs by a few roundoffs
# times the number of terms (here at most ~200), so about 1e-5 relative; the recurrences
# (up to 7 steps here) and layer norms add a factor of a few. 1e-4 relative leaves that
# margin while a real error (a wrong mask, gate or scale) moves outputs by 1e-2 or more.
OUT_RTOL, OUT_ATOL = 1e-4, 1e-5
# Gradients sum over the batch and, in the recurrences, over time as well, and backward
# kernels (cuDNN's RNNs, atomics in index/embedding backward) sum in a nondeterministic
# order: ten times looser than the forward pass.
GRAD_RTOL, GRAD_ATOL = 1e-3, 1e-4

PARITY_ENV = "SEQATTN_PARITY_DEVICE"


def _targets() -> list:
    """The devices to compare the CPU with: ``SEQATTN_PARITY_DEVICE`` or every accelerator present."""
    forced = os.environ.get(PARITY_ENV, "").strip().lower()
    if forced:
        return [forced]
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    if torch.backends.mps.is_available():
        found.append("mps")
    return found or [pytest.param("none", marks=pytest.mark.skip(reason="no accelerator (CUDA or MPS) here"))]


@pytest.fixture(params=_targets())
def device(request):
    name = request.param
    if name == "cuda" and not torch.cuda.is_available():
        pytest.fail(f"{PARITY_ENV}=cuda but CUDA is not available")
    if name == "mps" and not torch.backends.mps.is_available():
        pytest.fail(f"{PARITY_ENV}=mps but MPS is not available")
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    try:
        yield torch.device(name)
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def _flat(out) -> list[torch.Tensor]:
    """The float tensors in a (nested) output: tensors, tuples, lists; ``None`` skipped."""
    if out is None:
        return []
    if isinstance(out, torch.Tensor):
        return [out] if out.is_floating_point() else []
    if isinstance(out, tuple | list):
        return [t for item in out for t in _flat(item)]
    raise TypeError(f"unexpected output type {type(out).__name__}")


def _to(x, device):
    if isinstance(x, torch.Tensor):
        return x.detach().to(device).requires_grad_(x.requires_grad)
    if isinstance(x, tuple | list):
        return type(x)(_to(item, device) for item in x)
    return x


def _close(cpu: torch.Tensor, dev: torch.Tensor, what: str, rtol: float, atol: float) -> None:
    torch.testing.assert_close(dev.detach().cpu(), cpu.detach(), rtol=rtol, atol=atol, equal_nan=False,
                               msg=lambda m: f"{what}: {m}")


def check_parity(module: nn.Module, inputs: tuple, device: torch.device, call=None, seed: int = 0) -> None:
    """Run ``call(module, *inputs)`` (default ``module(*inputs)``) on the CPU and, on copies,
    on ``device``; compare the outputs, then the gradients of ``sum(w * output)`` for a fixed
    random ``w`` with respect to every parameter and every float input that requires grad."""
    call = call or (lambda m, *xs: m(*xs))
    dev_module = copy.deepcopy(module).to(device)
    dev_inputs = _to(inputs, device)
    cpu_out, dev_out = _flat(call(module, *inputs)), _flat(call(dev_module, *dev_inputs))
    assert len(cpu_out) == len(dev_out) > 0
    g = torch.Generator().manual_seed(seed)
    weights = [torch.randn(t.shape, generator=g) for t in cpu_out]
    for i, (a, b) in enumerate(zip(cpu_out, dev_out)):
        assert b.device.type == device.type, f"output {i} is on {b.device}, not {device}"
        _close(a, b, f"output {i}", OUT_RTOL, OUT_ATOL)
    sum((w * t).sum() for w, t in zip(weights, cpu_out) if t.requires_grad).backward()
    sum((w.to(device) * t).sum() for w, t in zip(weights, dev_out) if t.requires_grad).backward()
    for (name, p), q in zip(module.named_parameters(), dev_module.parameters()):
        if p.grad is None:
            assert q.grad is None, f"grad of {name}: None on CPU, not on {device}"
            continue
        _close(p.grad, q.grad, f"grad of {name}", GRAD_RTOL, GRAD_ATOL)
    for i, (x, y) in enumerate(zip(_flat(inputs), _flat(dev_inputs))):
        if x.requires_grad:
            _close(x.grad, y.grad, f"grad of input {i}", GRAD_RTOL, GRAD_ATOL)


def _randn(*shape, seed: int, grad: bool = True) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed)).requires_grad_(grad)


def _ids(batch: int, n: int, vocab: int, seed: int, low: int = 1) -> torch.Tensor:
    return torch.randint(low, vocab, (batch, n), generator=torch.Generator().manual_seed(seed))


def _padded_mask(batch: int = 3, n_q: int = 5, n_k: int = 6) -> torch.Tensor:
    """``(batch, n_q, n_k)`` padding mask with one query of the first row seeing no key."""
    mask = padding_mask(torch.tensor([n_k, 4, 2][:batch]), n_k)[:, None, :].expand(batch, n_q, n_k).clone()
    mask[0, 1] = False
    return mask


# Attention -----------------------------------------------------------------------------


def test_scaled_dot_product_attention(device):
    q, k, v = _randn(3, 5, 8, seed=1), _randn(3, 6, 8, seed=2), _randn(3, 6, 4, seed=3)
    check_parity(nn.Identity(), (q, k, v, _padded_mask()), device,
                 call=lambda m, q, k, v, mask: scaled_dot_product_attention(q, k, v, mask))


@pytest.mark.parametrize("make", [lambda: AdditiveAttention(8, 6, 16), lambda: BilinearAttention(8, 6)],
                         ids=["additive", "bilinear"])
def test_score_modules(device, make):
    torch.manual_seed(0)
    q, k, v = _randn(3, 5, 8, seed=1), _randn(3, 6, 6, seed=2), _randn(3, 6, 4, seed=3)
    check_parity(make(), (q, k, v, _padded_mask()), device)


@pytest.mark.parametrize("score", ["scaled_dot", "additive"])
def test_attention_pooling(device, score):
    torch.manual_seed(0)
    pool = AttentionPooling(8, score, d_hidden=16 if score == "additive" else None)
    nn.init.normal_(pool.query)  # it starts at zero, which would zero the additive score's W_q gradient
    check_parity(pool, (_randn(3, 6, 8, seed=1), padding_mask(torch.tensor([6, 4, 1]), 6)), device)


@pytest.mark.parametrize("need_weights", [True, False], ids=["explicit", "fused"])
@pytest.mark.parametrize("mask_kind", ["none", "padding", "causal"])
def test_multi_head_attention(device, need_weights, mask_kind):
    torch.manual_seed(0)
    mha = MultiHeadAttention(16, 4)
    q, kv = _randn(3, 5, 16, seed=1), _randn(3, 6, 16, seed=2)
    mask = {"none": None, "padding": _padded_mask(), "causal": causal_mask(5, 6)}[mask_kind]
    check_parity(mha, (q, kv, mask), device,
                 call=lambda m, q, kv, mask: m(q, kv, kv, mask, need_weights=need_weights))


# Recurrent networks --------------------------------------------------------------------


@pytest.mark.parametrize("make", [lambda: RNN(5, 8, n_layers=2), lambda: LSTM(5, 8, n_layers=2),
                                  lambda: GRU(5, 8, n_layers=2), lambda: LSTM(5, 8, n_layers=2).to_torch(),
                                  lambda: GRU(5, 8, n_layers=2).to_torch()],
                         ids=["RNN", "LSTM", "GRU", "nn.LSTM", "nn.GRU"])
def test_recurrent(device, make):
    torch.manual_seed(0)
    check_parity(make(), (_randn(3, 7, 5, seed=1),), device)


@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_char_lm(device, cell):
    torch.manual_seed(0)
    model = CharLM(11, 6, 8, cell=cell, n_layers=2)
    check_parity(model, (_ids(3, 7, 11, seed=1), _randn(2, 3, 8, seed=2)), device)


def test_seq2seq_attention_decoder(device):
    """The RNN encoder-decoder: embedding, packed bidirectional GRU, additive attention."""
    torch.manual_seed(0)
    model = AttentionDecoder(13, 11, d_emb=6, d_h=8, d_attention=8)
    src = _ids(3, 6, 13, seed=1)
    lengths = torch.tensor([6, 3, 1])
    src[1, 3:] = src[2, 1:] = 0
    check_parity(model, (src, lengths, _ids(3, 5, 11, seed=2)), device)


# Transformer ---------------------------------------------------------------------------


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_encoder_layer(device, norm_first):
    torch.manual_seed(0)
    layer = EncoderLayer(16, 4, 32, norm_first=norm_first)
    mask = padding_mask(torch.tensor([6, 4, 2]), 6)[:, None, None, :]  # (batch, 1, 1, n)
    check_parity(layer, (_randn(3, 6, 16, seed=1), mask), device)


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_decoder_layer(device, norm_first):
    torch.manual_seed(0)
    layer = DecoderLayer(16, 4, 32, norm_first=norm_first)
    y, memory = _randn(3, 5, 16, seed=1), _randn(3, 6, 16, seed=2)
    memory_mask = padding_mask(torch.tensor([6, 4, 2]), 6)[:, None, None, :]
    check_parity(layer, (y, memory, causal_mask(5), memory_mask), device)


def _transformer() -> Transformer:
    torch.manual_seed(0)
    return Transformer(13, 11, d_model=16, n_heads=4, d_ff=32, n_enc=2, n_dec=2, max_len=16).eval()


def _src() -> tuple[torch.Tensor, torch.Tensor]:
    src = _ids(3, 6, 13, seed=1)
    src[1, 4:] = src[2, 2:] = 0  # pad_id 0
    return src, torch.tensor([6, 4, 2])


def test_transformer(device):
    check_parity(_transformer(), (_src()[0], _ids(3, 5, 11, seed=2)), device)


def test_transformer_cached_decoding(device):
    """Step-by-step decoding through the key/value caches (what greedy and beam search run)."""

    def decode(model, src, lengths, tgt):
        state, outputs = model.start(src, lengths), []
        for t in range(tgt.shape[1]):
            logits, weights, state = model.step(tgt[:, t:t + 1], state)
            outputs += [logits, weights]
        return outputs

    check_parity(_transformer(), (*_src(), _ids(3, 4, 11, seed=2)), device, call=decode)


def _gpt() -> GPT:
    torch.manual_seed(0)
    return GPT(11, d_model=16, n_heads=4, n_layers=2, max_len=12).eval()


def test_gpt(device):
    check_parity(_gpt(), (_ids(3, 8, 11, seed=1, low=0),), device)


def test_gpt_with_cache(device):
    """A prompt through the cache, then one token at a time."""

    def run(model, idx):
        caches = model.new_caches()
        outputs = [model(idx[:, :3], caches)]
        outputs += [model(idx[:, t:t + 1], caches) for t in range(3, idx.shape[1])]
        return outputs + [c.K for c in caches] + [c.V for c in caches]

    check_parity(_gpt(), (_ids(3, 8, 11, seed=1, low=0),), device, call=run)


# Hard attention (the deterministic modes; the sampled ones draw from each device's own
# random generator, so their samples differ by design) -----------------------------------


@pytest.mark.parametrize("mode", ["soft", "argmax"])
def test_hard_attention(device, mode):
    torch.manual_seed(0)
    q, k, v = _randn(3, 5, 8, seed=1), _randn(3, 6, 6, seed=2), _randn(3, 6, 4, seed=3)
    check_parity(HardAttention(8, 6, 16, mode=mode), (q, k, v), device)


def test_targets_follow_the_environment(monkeypatch):
    """``SEQATTN_PARITY_DEVICE`` replaces the accelerators found; unset, each one found is used."""
    monkeypatch.setenv(PARITY_ENV, "cpu")
    assert _targets() == ["cpu"]
    monkeypatch.delenv(PARITY_ENV)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert _targets() == ["cuda", "mps"]
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert len(_targets()) == 1 and _targets()[0].marks[0].name == "skip"
