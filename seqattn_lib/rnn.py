"""Recurrent networks from scratch, gradients through time, and a character language model.

Introduced in chapter 1; chapter 5 compares its Transformer with :class:`CharLM`.

The recurrence (batch-first, row vectors in code, see the notation page)::

    h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h)     # h_t = tanh(x_t @ W_xh.T + h_{t-1} @ W_hh.T + b_h)

Shapes: ``x`` is ``(batch, T, d_in)``, ``h`` is ``(batch, d_h)``, ``W_xh`` is
``(d_h, d_in)``, ``W_hh`` is ``(d_h, d_h)``, ``b_h`` is ``(d_h,)``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .checks import ArgumentTypeError, check_finite, check_generator, check_ids, check_positive_int, check_tensor


def _check_weights(W_xh, W_hh, b_h, dims) -> dict:
    """Check the three weights; return ``dtype`` and ``device`` every other tensor must share with them."""
    check_tensor(W_xh, "W_xh", ("d_h", "d_in"), dims, dtype="float")
    like = {"dtype": W_xh.dtype, "device": W_xh.device}
    check_tensor(W_hh, "W_hh", ("d_h", "d_h"), dims, **like)
    check_tensor(b_h, "b_h", ("d_h",), dims, **like)
    return like


def rnn_step(
    x_t: torch.Tensor, h_prev: torch.Tensor, W_xh: torch.Tensor, W_hh: torch.Tensor, b_h: torch.Tensor
) -> torch.Tensor:
    """One step of the Elman RNN: ``h_t = tanh(x_t W_xh^T + h_prev W_hh^T + b_h)``.

    Args:
        x_t: ``(batch, d_in)`` input at step ``t``.
        h_prev: ``(batch, d_h)`` state after step ``t - 1``.
        W_xh: ``(d_h, d_in)``; W_hh: ``(d_h, d_h)``; b_h: ``(d_h,)``.

    Returns:
        ``(batch, d_h)``: the new state ``h_t``.
    """
    dims: dict[str, int] = {}
    like = _check_weights(W_xh, W_hh, b_h, dims)
    check_tensor(x_t, "x_t", ("batch", "d_in"), dims, **like)
    check_tensor(h_prev, "h_prev", ("batch", "d_h"), dims, **like)
    return torch.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)


class RNNCell(nn.Module):
    """The parameters ``W_xh``, ``W_hh``, ``b_h`` of one RNN layer and its step.

    Initialised like ``torch.nn.RNN``: uniform in ``[-1/sqrt(d_h), 1/sqrt(d_h)]``.
    """

    def __init__(self, d_in: int, d_h: int):
        super().__init__()
        check_positive_int(d_in, "d_in")
        check_positive_int(d_h, "d_h")
        bound = 1 / math.sqrt(d_h)
        self.W_xh = nn.Parameter(torch.empty(d_h, d_in).uniform_(-bound, bound))
        self.W_hh = nn.Parameter(torch.empty(d_h, d_h).uniform_(-bound, bound))
        self.b_h = nn.Parameter(torch.empty(d_h).uniform_(-bound, bound))

    def forward(self, x_t: torch.Tensor, h_prev: torch.Tensor) -> torch.Tensor:
        """``(batch, d_in)``, ``(batch, d_h)`` -> ``(batch, d_h)``."""
        return rnn_step(x_t, h_prev, self.W_xh, self.W_hh, self.b_h)


class RNN(nn.Module):
    """A stack of ``n_layers`` tanh RNN layers, batch-first, looping over time in Python.

    Layer ``l > 0`` reads the states of layer ``l - 1`` as its input, as in ``torch.nn.RNN``.
    """

    def __init__(self, d_in: int, d_h: int, n_layers: int = 1):
        super().__init__()
        check_positive_int(n_layers, "n_layers")
        self.d_in, self.d_h, self.n_layers = d_in, d_h, n_layers
        self.cells = nn.ModuleList(RNNCell(d_in if i == 0 else d_h, d_h) for i in range(n_layers))

    def forward(self, x: torch.Tensor, h0: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the recurrence over a whole sequence.

        Args:
            x: ``(batch, T, d_in)`` inputs.
            h0: ``(n_layers, batch, d_h)`` initial states (default zeros).

        Returns:
            ``(output, h_n)``: ``output`` ``(batch, T, d_h)`` holds the last layer's state
            at every step; ``h_n`` ``(n_layers, batch, d_h)`` the final state of each layer.
        """
        dims = {"d_in": self.d_in, "d_h": self.d_h, "n_layers": self.n_layers}
        W = self.cells[0].W_xh
        check_tensor(x, "x", ("batch", "T", "d_in"), dims, dtype=W.dtype, device=W.device)
        if h0 is None:
            h0 = x.new_zeros(self.n_layers, x.shape[0], self.d_h)
        check_tensor(h0, "h0", ("n_layers", "batch", "d_h"), dims, dtype=W.dtype, device=W.device)
        layer_input, finals = x, []
        for cell, h in zip(self.cells, h0):
            states = []
            for t in range(x.shape[1]):
                h = cell(layer_input[:, t], h)
                states.append(h)
            layer_input = torch.stack(states, dim=1)
            finals.append(h)
        return layer_input, torch.stack(finals)

    @torch.no_grad()
    def load_torch(self, reference: nn.RNN) -> RNN:
        """Copy the weights of a tanh ``torch.nn.RNN`` of the same sizes into this module.

        ``torch.nn.RNN`` has two biases per layer (``b_ih`` and ``b_hh``); they always
        appear summed, so ``b_h = b_ih + b_hh``. Returns ``self``.
        """
        if not isinstance(reference, nn.RNN) or reference.nonlinearity != "tanh":
            raise ValueError("reference must be a torch.nn.RNN with nonlinearity='tanh'")
        sizes = (reference.input_size, reference.hidden_size, reference.num_layers)
        if sizes != (self.d_in, self.d_h, self.n_layers) or reference.bidirectional:
            raise ValueError(
                f"reference must have (input_size, hidden_size, num_layers) = {(self.d_in, self.d_h, self.n_layers)}"
                f" and be unidirectional, got {sizes}, bidirectional={reference.bidirectional}"
            )
        for i, cell in enumerate(self.cells):
            cell.W_xh.copy_(getattr(reference, f"weight_ih_l{i}"))
            cell.W_hh.copy_(getattr(reference, f"weight_hh_l{i}"))
            bias = torch.zeros(self.d_h)
            if reference.bias:
                bias = getattr(reference, f"bias_ih_l{i}") + getattr(reference, f"bias_hh_l{i}")
            cell.b_h.copy_(bias)
        return self


def scaled_orthogonal(d_h: int, radius: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """A ``(d_h, d_h)`` matrix ``radius * Q`` with ``Q`` random orthogonal.

    Every eigenvalue has modulus ``radius`` (its spectral radius) and every singular value
    equals ``radius``, so multiplying a vector by it scales the vector's norm by exactly ``radius``.
    """
    check_positive_int(d_h, "d_h")
    check_finite(radius, "radius", positive=True)
    check_generator(generator)
    q, r = torch.linalg.qr(torch.randn(d_h, d_h, generator=generator))
    return radius * q * torch.sign(torch.diagonal(r))


def state_gradient_norms(
    x: torch.Tensor,
    W_xh: torch.Tensor,
    W_hh: torch.Tensor,
    b_h: torch.Tensor,
    nonlinearity: str = "tanh",
) -> torch.Tensor:
    """How strongly the last state depends on earlier ones, measured by backpropagation through time.

    Runs the recurrence from ``h_0 = 0`` over ``x``, takes the loss ``L = sum(h_T)`` and
    returns ``||dL/dh_{T-k}||`` for ``k = 0, ..., T-1`` (mean over the batch).

    Args:
        x: ``(batch, T, d_in)`` inputs.
        W_xh, W_hh, b_h: ``(d_h, d_in)``, ``(d_h, d_h)``, ``(d_h,)`` weights.
        nonlinearity: ``"tanh"`` (the RNN) or ``"linear"`` (no squashing: the regime of
            small states, where ``tanh(z) ~ z``).

    Returns:
        ``(T,)``: entry ``k`` is the gradient norm with respect to the state ``k`` steps before the end.
    """
    dims: dict[str, int] = {}
    like = _check_weights(W_xh, W_hh, b_h, dims)
    check_tensor(x, "x", ("batch", "T", "d_in"), dims, **like)
    if nonlinearity not in ("tanh", "linear"):
        raise ValueError(f"nonlinearity must be 'tanh' or 'linear', got {nonlinearity!r}")
    act = torch.tanh if nonlinearity == "tanh" else (lambda z: z)
    W_xh, W_hh, b_h = W_xh.detach(), W_hh.detach(), b_h.detach()
    with torch.enable_grad():
        h = x.new_zeros(x.shape[0], W_hh.shape[0]).requires_grad_(True)
        states = []
        for t in range(x.shape[1]):
            h = act(x[:, t].detach() @ W_xh.T + h @ W_hh.T + b_h)
            states.append(h)
        grads = torch.autograd.grad(states[-1].sum(), states)
    return torch.stack([g.norm(dim=-1).mean() for g in reversed(grads)])


def clip_grad_norm(grads: list[torch.Tensor], max_norm: float) -> tuple[list[torch.Tensor], float]:
    """Gradient clipping by global norm (what ``torch.nn.utils.clip_grad_norm_`` does in place).

    If the norm ``g`` of all gradients taken together exceeds ``max_norm``, every gradient is
    multiplied by ``max_norm / g``, which keeps the direction and caps the length.

    Args:
        grads: gradient tensors of any shapes.
        max_norm: the largest norm allowed (> 0).

    Returns:
        ``(clipped, g)``: new tensors (the inputs are not changed) and the norm before clipping.
    """
    check_finite(max_norm, "max_norm", positive=True)
    if not isinstance(grads, (list, tuple)) or not grads:
        raise ValueError(f"grads must be a non-empty list of tensors, got {grads!r:.80}")
    for i, g in enumerate(grads):
        check_tensor(g, f"grads[{i}]", dtype="float")
    total = torch.sqrt(sum((g.detach() ** 2).sum() for g in grads))
    scale = min(1.0, max_norm / (float(total) + 1e-6))
    return [g * scale for g in grads], float(total)


class CharLM(nn.Module):
    """A character language model: embedding -> recurrent layer -> linear readout.

    Args:
        vocab_size: number of characters ``V``.
        d_emb: embedding size.
        d_h: hidden-state size.
        cell: ``"rnn"`` (tanh, ``torch.nn.RNN``, the same maths as :class:`RNN`) or
            ``"gru"`` (``torch.nn.GRU``).
        n_layers: stacked recurrent layers.
    """

    def __init__(self, vocab_size: int, d_emb: int, d_h: int, cell: str = "rnn", n_layers: int = 1):
        super().__init__()
        for value, name in ((vocab_size, "vocab_size"), (d_emb, "d_emb"), (d_h, "d_h"), (n_layers, "n_layers")):
            check_positive_int(value, name)
        if cell not in ("rnn", "gru"):
            raise ValueError(f"cell must be 'rnn' or 'gru', got {cell!r}")
        self.vocab_size, self.d_h, self.n_layers, self.cell = vocab_size, d_h, n_layers, cell
        self.embedding = nn.Embedding(vocab_size, d_emb)
        recurrent = nn.RNN if cell == "rnn" else nn.GRU
        self.recurrent = recurrent(d_emb, d_h, num_layers=n_layers, batch_first=True)
        self.readout = nn.Linear(d_h, vocab_size)

    def forward(self, ids: torch.Tensor, h0: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Next-character scores at every position.

        Args:
            ids: ``(batch, T)`` character ids.
            h0: ``(n_layers, batch, d_h)`` initial state (default zeros).

        Returns:
            ``(logits, h_n)``: ``(batch, T, V)`` scores for the character after each
            position, and the final state ``(n_layers, batch, d_h)``.
        """
        dims = {"n_layers": self.n_layers, "d_h": self.d_h}
        W = self.readout.weight
        check_ids(ids, "ids", self.vocab_size, "vocab_size", ("batch", "T"), dims, device=W.device)
        if h0 is not None:
            check_tensor(h0, "h0", ("n_layers", "batch", "d_h"), dims, dtype=W.dtype, device=W.device)
        output, h_n = self.recurrent(self.embedding(ids), h0)
        return self.readout(output), h_n


def lm_loss(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """Mean next-token cross-entropy (nats per token) of a language model on ``(x, y)``, both
    ``(batch, T)`` ids: a :class:`CharLM` here, or chapter 5's ``GPT`` (any module whose
    output for ``x`` is the logits ``(batch, T, V)`` or a pair ``(logits, state)``)."""
    if not isinstance(model, nn.Module):
        raise ArgumentTypeError(f"model must be a language model (an nn.Module), got {type(model).__name__}")
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise ArgumentTypeError(f"batch must be a pair (x, y) of (batch, T) id tensors, got {type(batch).__name__}")
    x, y = batch
    out = model(x)
    logits = out[0] if isinstance(out, tuple) else out
    check_ids(y, "y", logits.shape[-1], "vocab_size", tuple(x.shape), device=x.device)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def temperature_probs(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """``softmax(logits / temperature)`` over the last axis.

    Temperature below 1 sharpens the distribution (towards the most likely symbol), above 1
    flattens it (towards uniform).

    Args:
        logits: ``(..., V)`` scores.
        temperature: a positive number.

    Returns:
        ``(..., V)`` probabilities summing to 1 over the last axis.
    """
    check_tensor(logits, "logits", dtype="float")
    if logits.dim() < 1:
        raise ValueError("logits must have shape (..., V)")
    check_finite(temperature, "temperature", positive=True)
    return torch.softmax(logits / temperature, dim=-1)


@torch.no_grad()
def generate(
    model: CharLM,
    idx: torch.Tensor,
    n_new: int,
    temperature: float = 1.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Append ``n_new`` sampled ids to ``idx (batch, n)``, one step at a time, carrying the
    hidden state; returns ``(batch, n + n_new)``, like chapter 5's ``transformer.generate``.

    ``temperature=0`` picks the most likely id; otherwise each id is drawn from
    :func:`temperature_probs` on the CPU with ``generator`` (a CPU ``torch.Generator``), so
    one seed gives the same text on every device.
    """
    if not isinstance(model, CharLM):
        raise ArgumentTypeError(f"model must be a CharLM, got {type(model).__name__}")
    device = next(model.parameters()).device
    check_ids(idx, "idx", model.vocab_size, spec=("batch", "n"), device=device)
    if idx.shape[1] == 0:
        raise ValueError("idx must hold at least one id per row")
    check_positive_int(n_new, "n_new")
    if check_finite(temperature, "temperature") < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    check_generator(generator)
    was_training = model.training
    model.eval()
    logits, h = model(idx)
    out = [idx]
    for _ in range(n_new):
        last = logits[:, -1].float()  # (batch, V)
        if temperature == 0:
            nxt = last.argmax(-1, keepdim=True)
        else:
            nxt = torch.multinomial(temperature_probs(last.cpu(), temperature), 1, generator=generator).to(device)
        out.append(nxt)
        logits, h = model(nxt, h)
    model.train(was_training)
    return torch.cat(out, dim=1)
