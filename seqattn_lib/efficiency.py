"""Making attention models cheaper: local and linear attention, mixed-precision training,
head pruning (into a smaller layer) and top-k pruning of attention weights, distillation,
quantisation, and helpers to time calls, count FLOPs and fit a power law.

Introduced in chapter 7 (which times the key/value cache of chapter 5's
:mod:`seqattn_lib.transformer`). Conventions follow :mod:`seqattn_lib.attention`:
batch-first tensors, bool masks with ``True`` = may attend.
"""

from __future__ import annotations

import io
import math
import statistics
import time
import warnings
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .attention import MultiHeadAttention, sliding_window_mask
from .checks import ArgumentTypeError, check_finite, check_ids, check_module, check_positive_int, check_tensor


def _check_callable(fn) -> None:
    if not callable(fn):
        raise ArgumentTypeError(f"fn must be a function taking no arguments, got {type(fn).__name__}")


def local_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, window: int) -> torch.Tensor:
    """Causal sliding-window attention computed band by band, in ``O(n window d)``.

    Query ``i`` attends to keys ``i - window + 1 ... i`` (fewer at the start). Equal to
    :func:`~seqattn_lib.attention.scaled_dot_product_attention` with
    ``sliding_window_mask(n, window, causal=True)``, without building the ``(n, n)`` scores.

    Args:
        q, k: ``(batch, n, d_k)``; v: ``(batch, n, d_v)``; window: keys per query, ``>= 1``.

    Returns:
        ``(batch, n, d_v)``.
    """
    dims = check_tensor(q, "q", ("batch", "n", "d_k"), dtype="float")
    check_tensor(k, "k", ("batch", "n", "d_k"), dims, dtype=q.dtype, device=q.device)
    check_tensor(v, "v", ("batch", "n", None), dims, dtype=q.dtype, device=q.device)
    check_positive_int(window, "window")
    n = q.shape[1]
    # pad window - 1 positions in front, then take every length-window slice: (batch, n, d, window)
    k_win = F.pad(k, (0, 0, window - 1, 0)).unfold(1, window, 1)
    v_win = F.pad(v, (0, 0, window - 1, 0)).unfold(1, window, 1)
    scores = torch.einsum("bnd,bndw->bnw", q, k_win) / q.shape[-1] ** 0.5  # (batch, n, window)
    valid = torch.arange(n, device=q.device)[:, None] + torch.arange(window, device=q.device) >= window - 1
    weights = torch.softmax(scores.masked_fill(~valid, float("-inf")), dim=-1)
    return torch.einsum("bnw,bndw->bnd", weights, v_win)


def linear_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Linear attention (Katharopoulos et al., 2020) with feature map ``phi(x) = elu(x) + 1``.

    ``out_i = phi(q_i)^T (sum_j phi(k_j) v_j^T) / (phi(q_i)^T sum_j phi(k_j))``: the same as
    attention with weights ``phi(q_i)^T phi(k_j)`` normalised over ``j``, but computed in
    ``O(n d_k d_v)`` instead of ``O(n^2 d)`` because the key-value sum is shared by all queries.

    Args:
        q: ``(..., n_q, d_k)``; k: ``(..., n_k, d_k)``; v: ``(..., n_k, d_v)``.

    Returns:
        ``(..., n_q, d_v)``.
    """
    check_tensor(q, "q", dtype="float")
    for x, name in ((q, "q"), (k, "k"), (v, "v")):
        check_tensor(x, name, dtype=q.dtype, device=q.device)
        if x.dim() < 2:
            raise ValueError(f"{name} must have at least 2 dimensions (..., n, d), got {tuple(x.shape)}")
    shapes_ok = k.shape[-1] == q.shape[-1] and v.shape[-2] == k.shape[-2] and q.dim() == k.dim() == v.dim()
    try:
        torch.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except RuntimeError:
        shapes_ok = False
    if not shapes_ok:
        raise ValueError(
            f"expected q (..., n_q, d_k), k (..., n_k, d_k), v (..., n_k, d_v) with the same leading dimensions; "
            f"got {tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}"
        )
    check_finite(eps, "eps", positive=True)
    phi_q, phi_k = F.elu(q) + 1, F.elu(k) + 1
    kv = phi_k.transpose(-2, -1) @ v  # (..., d_k, d_v): shared by every query
    normaliser = phi_q @ phi_k.sum(dim=-2, keepdim=True).transpose(-2, -1)  # (..., n_q, 1)
    return (phi_q @ kv) / (normaliser + eps)


def prune_heads(mha: MultiHeadAttention, heads: list[int]) -> MultiHeadAttention:
    """A copy of ``mha`` without ``heads``, physically smaller (Michel et al., 2019).

    Head ``h`` owns rows ``h d_k ... (h+1) d_k - 1`` of each of ``W_Q, W_K, W_V`` (and of
    their biases) and the same columns of ``W_O``; the copy keeps only the other heads'
    rows and columns, so it has ``4 d_model d_k + 3 d_k`` fewer parameters per removed head
    (with biases; ``W_O``'s bias stays). It computes exactly what ``mha`` computes with the
    removed heads' outputs set to zero. ``mha`` is not changed.

    Args:
        mha: a :class:`~seqattn_lib.attention.MultiHeadAttention` (or an already pruned one).
        heads: indices in ``[0, mha.n_heads)`` of the heads to remove; at least one head must stay.

    Raises:
        ValueError: if a head index is out of range or repeated, or no head would stay.
    """
    if not isinstance(mha, MultiHeadAttention):
        raise ArgumentTypeError(f"mha must be a MultiHeadAttention, got {type(mha).__name__}")
    if not isinstance(heads, (list, tuple)):
        raise ArgumentTypeError(f"heads must be a list of head indices, got {type(heads).__name__}")
    for h in heads:
        if isinstance(h, bool) or not isinstance(h, int) or not 0 <= h < mha.n_heads:
            raise ValueError(f"heads must hold ints in [0, n_heads={mha.n_heads}), got {h!r}")
    if len(set(heads)) != len(heads):
        raise ValueError(f"heads must not repeat a head, got {list(heads)}")
    keep = [h for h in range(mha.n_heads) if h not in heads]
    if not keep:
        raise ValueError(f"heads must leave at least one of the {mha.n_heads} heads, got {list(heads)}")
    W, d_k, width = mha.in_proj_weight, mha.d_k, mha.n_heads * mha.d_k
    # the kept heads' columns of W_O, and their rows in each of W_Q, W_K, W_V (stacked in in_proj_weight)
    cols = (torch.tensor(keep, dtype=torch.long)[:, None] * d_k + torch.arange(d_k)).flatten().to(W.device)
    rows = torch.cat([part * width + cols for part in range(3)])
    bias = mha.in_proj_bias is not None
    # initial weights about to be overwritten: drawn under fork_rng, so the global generator is left alone
    with torch.random.fork_rng(devices=[]):
        pruned = MultiHeadAttention(mha.d_model, len(keep), bias=bias, d_k=d_k).to(W.device, W.dtype)
    with torch.no_grad():
        pruned.in_proj_weight.copy_(mha.in_proj_weight[rows])
        pruned.out_proj.weight.copy_(mha.out_proj.weight[:, cols])
        if bias:
            pruned.in_proj_bias.copy_(mha.in_proj_bias[rows])
            pruned.out_proj.bias.copy_(mha.out_proj.bias)
    pruned.dropout = mha.dropout
    return pruned.train(mha.training)


def top_k_mask(weights: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the ``k`` largest attention weights of each query: a bool mask, ``True`` at the
    ``k`` largest entries along the last axis (all of them when ``k >= n_k``; ties broken
    by :func:`torch.topk`).

    Attention recomputed with this mask gives the top-``k`` weights renormalised to sum to 1
    (the others zero), because the softmax over the kept keys is the full softmax divided by
    the kept keys' share. Scores or weights give the same mask: softmax keeps the order.

    Args:
        weights: ``(..., n_q, n_k)`` float attention weights or scores; k: keys kept, ``>= 1``.

    Returns:
        Bool mask of ``weights``' shape.
    """
    check_tensor(weights, "weights", dtype="float")
    if weights.dim() < 1:
        raise ValueError("weights must have at least one dimension (..., n_k)")
    check_positive_int(k, "k")
    k = min(k, weights.shape[-1])
    keep = torch.zeros_like(weights, dtype=torch.bool)
    return keep.scatter_(-1, weights.topk(k, dim=-1).indices, True)


def mixed_precision_step(
    model: nn.Module,
    batch: object,
    loss_fn: Callable[[nn.Module, object], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    dtype: torch.dtype | None = None,
    scaler: torch.amp.GradScaler | None = None,
) -> float:
    """One optimiser step of mixed-precision training; returns the loss.

    The forward pass and ``loss_fn(model, batch)`` run under ``torch.autocast`` in ``dtype``
    (``torch.bfloat16`` or ``torch.float16``; ``None``: plain float32), which does the
    matrix products in 16 bits; the weights, their gradients and the optimiser's state stay
    float32. The backward pass runs outside autocast. ``scaler`` (a ``torch.amp.GradScaler``,
    required for float16, whose range ends at 65504 and whose small gradients would round
    to zero) multiplies the loss before the backward pass, divides the gradients before the
    step and skips a step whose gradients overflowed; bfloat16 has float32's range and needs none.

    Raises:
        ValueError: for another ``dtype``, or float16 without a scaler.
    """
    check_module(model)
    if dtype not in (None, torch.bfloat16, torch.float16):
        raise ValueError(f"dtype must be torch.bfloat16, torch.float16 or None, got {dtype!r}")
    if dtype == torch.float16 and scaler is None:
        raise ValueError("scaler must be a torch.amp.GradScaler for float16 (small gradients underflow)")
    if scaler is not None and not isinstance(scaler, torch.amp.GradScaler):
        raise ArgumentTypeError(f"scaler must be a torch.amp.GradScaler or None, got {type(scaler).__name__}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise ArgumentTypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    model.train()
    device_type = next(model.parameters()).device.type
    with torch.autocast(device_type, dtype=dtype, enabled=dtype is not None):
        loss = loss_fn(model, batch)
    optimizer.zero_grad(set_to_none=True)
    if scaler is None:
        loss.backward()
        optimizer.step()
    else:
        scaler.scale(loss).backward()
        scaler.step(optimizer)  # unscales the gradients; skips the step if one is inf or NaN
        scaler.update()
    return loss.item()


def distillation_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    targets: torch.Tensor,
    T: float = 2.0,
    alpha: float = 0.5,
) -> torch.Tensor:
    """Knowledge distillation loss (Hinton et al., 2015).

    ``alpha * T^2 * KL(softmax(teacher / T) || softmax(student / T)) + (1 - alpha) * CE(student, targets)``

    Args:
        student_logits, teacher_logits: ``(batch, n_classes)``; targets: ``(batch,)`` class ids.
        T: temperature (> 0); alpha: weight of the teacher term in ``[0, 1]``.

    Returns:
        Scalar loss.
    """
    like = {"dtype": student_logits.dtype, "device": student_logits.device}
    dims = check_tensor(student_logits, "student_logits", ("batch", "n_classes"), dtype="float")
    check_tensor(teacher_logits, "teacher_logits", ("batch", "n_classes"), dims, **like)
    check_ids(targets, "targets", dims["n_classes"], "n_classes", ("batch",), dims, device=like["device"])
    check_finite(T, "T", positive=True)
    if not 0 <= check_finite(alpha, "alpha") <= 1:
        raise ValueError(f"alpha must be in [0, 1], got {alpha!r}")
    soft = F.kl_div(
        F.log_softmax(student_logits / T, dim=-1),
        F.log_softmax(teacher_logits.detach() / T, dim=-1),
        reduction="batchmean",
        log_target=True,
    )
    return alpha * T**2 * soft + (1 - alpha) * F.cross_entropy(student_logits, targets)


def model_size_bytes(model: nn.Module) -> int:
    """Bytes of ``model``'s serialised ``state_dict`` (what saving it to disk costs)."""
    check_module(model)
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getbuffer().nbytes


def quantize_dynamic_int8(model: nn.Module) -> nn.Module:
    """A copy of ``model`` (on the CPU) with its ``nn.Linear`` and ``nn.LSTM`` layers
    dynamically quantised to int8 weights (``torch.ao.quantization.quantize_dynamic``).

    Activations stay float and are quantised on the fly; only CPU kernels exist.
    torch's deprecation notices for this API are silenced.
    """
    import copy

    check_module(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from torch.ao.quantization import quantize_dynamic

        return quantize_dynamic(copy.deepcopy(model).cpu(), {nn.Linear, nn.LSTM}, dtype=torch.qint8)


def time_call(fn: Callable[[], object], repeat: int = 5, statistic: str = "min", clock: str = "wall") -> float:
    """Seconds of one call of ``fn()``, measured over ``repeat`` calls: the fastest
    (``statistic="min"``, the least disturbed by other processes) or the ``"median"`` one
    (robust to a few disturbed calls in either direction). ``clock="wall"`` reads wall time,
    ``"cpu"`` this process's CPU time (other programs on the machine do not count). CUDA
    work is synchronised before reading the clock.
    """
    _check_callable(fn)
    check_positive_int(repeat, "repeat")
    if statistic not in ("min", "median"):
        raise ValueError(f"statistic must be 'min' or 'median', got {statistic!r}")
    if clock not in ("wall", "cpu"):
        raise ValueError(f"clock must be 'wall' or 'cpu', got {clock!r}")
    now = time.perf_counter if clock == "wall" else time.process_time
    seconds = []
    for _ in range(repeat):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        start = now()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        seconds.append(now() - start)
    return min(seconds) if statistic == "min" else statistics.median(seconds)


def _positive_list(values, name: str) -> list:
    """``values`` (a list, array or tensor of finite positive numbers) as a list."""
    values = values.tolist() if hasattr(values, "tolist") else values
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise ArgumentTypeError(f"{name} must be a list of positive numbers, got {type(values).__name__}")
    for v in values:
        check_finite(v, f"every value of {name}", positive=True)
    return list(values)


def power_law_exponent(x: Sequence[float], y: Sequence[float]) -> float:
    """The exponent ``b`` of the least-squares fit ``y = c x^b``: the slope of ``log y``
    against ``log x``. A cost that doubles with ``x`` gives 1, one that quadruples gives 2.

    Raises:
        ValueError: for fewer than two points, unequal lengths, non-positive values or
            all ``x`` equal.
    """
    x, y = _positive_list(x, "x"), _positive_list(y, "y")
    if len(x) != len(y) or len(x) < 2:
        raise ValueError(f"need two equally long sequences of at least 2 points, got {len(x)} and {len(y)}")
    lx, ly = [math.log(v) for v in x], [math.log(v) for v in y]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    sxx = sum((a - mx) ** 2 for a in lx)
    if sxx == 0:
        raise ValueError("x must not be all equal")
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sxx


def count_flops(fn: Callable[[], object]) -> int:
    """Floating-point operations of the matrix products in one call of ``fn()``, as counted by
    ``torch.utils.flop_counter.FlopCounterMode``: a multiply-add counts as 2 FLOPs, so an
    ``(m, k) @ (k, n)`` product is ``2 m k n``. Element-wise work (softmax, ``elu``) is not counted.
    """
    from torch.utils.flop_counter import FlopCounterMode

    _check_callable(fn)
    with FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops())


class AttentionClassifier(nn.Module):
    """One attention layer read out at the last position, then an MLP: a classifier
    small enough to train in seconds, with a choice of attention.

    The last position's query attends over all positions with ``attention="full"``
    (softmax, :class:`MultiHeadAttention`), only the last ``window`` positions with
    ``"window"``, or everything through :func:`linear_attention` with ``"linear"``.

    ``forward(idx, top_k=None)``: ``idx (batch, n)`` -> logits ``(batch, n_classes)``.
    ``classify(x, top_k=None)``: embedded input ``x (batch, n, d_model)`` -> ``(logits, weights)``,
    ``weights (batch, n_heads, 1, n)`` (``None`` for linear attention); used for attributions.
    ``top_k`` (full or window attention): each head attends to its ``top_k`` highest-weighted
    keys only, their weights renormalised (:func:`top_k_mask`); ``None`` keeps every key.
    """

    KINDS = ("full", "window", "linear")

    def __init__(
        self,
        vocab_size: int,
        n_classes: int,
        max_len: int,
        d_model: int = 32,
        n_heads: int = 2,
        attention: str = "full",
        window: int = 8,
    ):
        super().__init__()
        for value, name in (
            (vocab_size, "vocab_size"), (n_classes, "n_classes"), (max_len, "max_len"), (d_model, "d_model"),
            (n_heads, "n_heads"),
        ):
            check_positive_int(value, name)
        if attention not in self.KINDS:
            raise ValueError(f"attention must be one of {self.KINDS}, got {attention!r}")
        self.attention, self.window = attention, check_positive_int(window, "window")
        self.tok = nn.Embedding(vocab_size, d_model)
        self.pos = nn.Embedding(max_len, d_model)
        self.attn = MultiHeadAttention(d_model, n_heads)
        self.norm = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.ReLU(), nn.Linear(4 * d_model, d_model))
        self.head = nn.Linear(d_model, n_classes)

    def embed(self, idx: torch.Tensor) -> torch.Tensor:
        """``(batch, n)`` ids -> ``(batch, n, d_model)`` token plus position embeddings."""
        check_ids(idx, "idx", self.tok.num_embeddings, "vocab_size", ("batch", "n"), device=self.tok.weight.device)
        if idx.shape[1] > self.pos.num_embeddings:
            raise ValueError(f"idx must have at most max_len={self.pos.num_embeddings} positions, got {idx.shape[1]}")
        return self.tok(idx) + self.pos(torch.arange(idx.shape[1], device=idx.device))

    def classify(self, x: torch.Tensor, top_k: int | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        W = self.norm.weight
        check_tensor(x, "x", ("batch", "n", self.attn.d_model), dtype=W.dtype, device=W.device)
        if top_k is not None:
            check_positive_int(top_k, "top_k")
            if self.attention == "linear":
                raise ValueError("top_k needs attention weights: attention must be 'full' or 'window', not 'linear'")
        n = x.shape[1]
        q = x[:, -1:]  # (batch, 1, d_model): the query of the last position
        weights = None
        if self.attention == "linear":
            Q, K, V = self.attn.project(q, x, x)  # (batch, n_heads, 1 or n, d_k)
            context = self.attn.out_proj(self.attn.merge_heads(linear_attention(Q, K, V)))
        else:
            mask = None
            if self.attention == "window":
                mask = sliding_window_mask(n, self.window, causal=True)[None, None, -1:].to(x.device)  # (1, 1, 1, n)
            context, weights = self.attn(q, x, x, mask)
            if top_k is not None:  # attend again to each head's top_k keys only
                keep = top_k_mask(weights, top_k)  # (batch, n_heads, 1, n)
                context, weights = self.attn(q, x, x, keep if mask is None else keep & mask)
        y = q + context
        y = y + self.mlp(self.norm(y))
        return self.head(y[:, 0]), weights

    def forward(self, idx: torch.Tensor, top_k: int | None = None) -> torch.Tensor:
        return self.classify(self.embed(idx), top_k)[0]
