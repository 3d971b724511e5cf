"""LSTM and GRU cells written from scratch, with weights that copy to and from PyTorch.

Introduced in chapter 3. Each gate has its own weights, named as in the text
(column vectors in the equations, row vectors in code: ``W x`` is ``x @ W.T``).

LSTM, one step (gates: input ``i``, forget ``f``, candidate ``g``, output ``o``)::

    i_t = sigmoid(W_xi x_t + W_hi h_{t-1} + b_i)
    f_t = sigmoid(W_xf x_t + W_hf h_{t-1} + b_f)
    g_t = tanh(W_xg x_t + W_hg h_{t-1} + b_g)
    o_t = sigmoid(W_xo x_t + W_ho h_{t-1} + b_o)
    c_t = f_t * c_{t-1} + i_t * g_t
    h_t = o_t * tanh(c_t)

GRU, one step (reset ``r``, update ``z``, candidate ``n``)::

    r_t = sigmoid(W_xr x_t + W_hr h_{t-1} + b_r)
    z_t = sigmoid(W_xz x_t + W_hz h_{t-1} + b_z)
    n_t = tanh(W_xn x_t + b_xn + r_t * (W_hn h_{t-1} + b_hn))
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

``torch.nn.LSTM`` stores the four gates stacked in the order (i, f, g, o) in
``weight_ih_l{k}`` ``(4 d_h, d_in)``, ``weight_hh_l{k}`` ``(4 d_h, d_h)`` and two biases
whose sum is our ``b``; ``torch.nn.GRU`` stacks (r, z, n). :meth:`LSTM.load_torch` and
:meth:`LSTM.to_torch` (same for GRU) move the weights across.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .checks import ArgumentTypeError, check_finite, check_positive_int, check_tensor

LSTM_GATES = ("i", "f", "g", "o")  # torch.nn.LSTM's stacking order
GRU_GATES = ("r", "z", "n")  # torch.nn.GRU's stacking order


def _pair(state: object, what: str) -> tuple:
    """``state`` if it is a pair (tuple or list of two), else raise :class:`ArgumentTypeError`."""
    if not isinstance(state, tuple | list) or len(state) != 2:
        raise ArgumentTypeError(f"state must be a pair {what} of tensors, got {type(state).__name__}")
    return state


class _Cell(nn.Module):
    """Shared parts of the two cells: per-gate parameters and their torch layout."""

    gates: tuple[str, ...] = ()

    def __init__(self, d_in: int, d_h: int):
        super().__init__()
        self.d_in = check_positive_int(d_in, "d_in")
        self.d_h = check_positive_int(d_h, "d_h")
        bound = 1 / math.sqrt(d_h)  # torch's initialisation: U(-1/sqrt(d_h), 1/sqrt(d_h))
        for gate in self.gates:
            for name, shape in self._shapes(gate).items():
                setattr(self, name, nn.Parameter(torch.empty(shape).uniform_(-bound, bound)))

    def _shapes(self, gate: str) -> dict[str, tuple[int, ...]]:
        return {f"W_x{gate}": (self.d_h, self.d_in), f"W_h{gate}": (self.d_h, self.d_h), f"b_{gate}": (self.d_h,)}

    def _check(self, x: torch.Tensor, h: torch.Tensor, extra: dict[str, torch.Tensor]) -> None:
        dims, W = {"d_in": self.d_in, "d_h": self.d_h}, next(self.parameters())
        check_tensor(x, "x", ("batch", "d_in"), dims, dtype=W.dtype, device=W.device)
        check_tensor(h, "h", ("batch", "d_h"), dims, dtype=W.dtype, device=W.device)
        for name, t in extra.items():
            check_tensor(t, name, ("batch", "d_h"), dims, dtype=W.dtype, device=W.device)

    def stacked(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """The weights in torch's layout: ``(weight_ih, weight_hh, bias_ih, bias_hh)``."""
        w_ih = torch.cat([getattr(self, f"W_x{g}") for g in self.gates])
        w_hh = torch.cat([getattr(self, f"W_h{g}") for g in self.gates])
        b_ih, b_hh = self._biases()
        return w_ih, w_hh, b_ih, b_hh

    @torch.no_grad()
    def load_stacked(self, weight_ih, weight_hh, bias_ih, bias_hh) -> None:
        """Copy weights given in torch's layout into the per-gate parameters.

        Args:
            weight_ih: ``(n_gates * d_h, d_in)``; weight_hh: ``(n_gates * d_h, d_h)``;
            bias_ih, bias_hh: ``(n_gates * d_h,)``.
        """
        n = len(self.gates) * self.d_h
        check_tensor(weight_ih, "weight_ih", (n, self.d_in), dtype="float")
        check_tensor(weight_hh, "weight_hh", (n, self.d_h), dtype="float")
        check_tensor(bias_ih, "bias_ih", (n,), dtype="float")
        check_tensor(bias_hh, "bias_hh", (n,), dtype="float")
        for k, gate in enumerate(self.gates):
            rows = slice(k * self.d_h, (k + 1) * self.d_h)
            getattr(self, f"W_x{gate}").copy_(weight_ih[rows])
            getattr(self, f"W_h{gate}").copy_(weight_hh[rows])
            self._load_bias(gate, bias_ih[rows], bias_hh[rows])

    def _biases(self):
        b = torch.cat([getattr(self, f"b_{g}") for g in self.gates])
        return b, torch.zeros_like(b)

    def _load_bias(self, gate, b_ih, b_hh):
        getattr(self, f"b_{gate}").copy_(b_ih + b_hh)


class LSTMCell(_Cell):
    """One LSTM step from scratch: ``h_t, c_t = cell(x_t, (h_{t-1}, c_{t-1}))``.

    Parameters ``W_x{gate}`` ``(d_h, d_in)``, ``W_h{gate}`` ``(d_h, d_h)``, ``b_{gate}``
    ``(d_h,)`` for gate in (i, f, g, o); one bias per gate (torch's two biases summed).
    """

    gates = LSTM_GATES

    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Args: x ``(batch, d_in)``; state ``(h, c)``, each ``(batch, d_h)``.
        Returns ``(h_t, c_t)``, each ``(batch, d_h)``."""
        h, c = _pair(state, "(h, c)")
        self._check(x, h, {"c": c})
        i = torch.sigmoid(x @ self.W_xi.T + h @ self.W_hi.T + self.b_i)
        f = torch.sigmoid(x @ self.W_xf.T + h @ self.W_hf.T + self.b_f)
        g = torch.tanh(x @ self.W_xg.T + h @ self.W_hg.T + self.b_g)
        o = torch.sigmoid(x @ self.W_xo.T + h @ self.W_ho.T + self.b_o)
        c = f * c + i * g
        h = o * torch.tanh(c)
        return h, c


class GRUCell(_Cell):
    """One GRU step from scratch: ``h_t = cell(x_t, h_{t-1})``.

    Parameters ``W_x{gate}``, ``W_h{gate}`` for gate in (r, z, n), biases ``b_r``, ``b_z``
    and, because the reset gate multiplies ``W_hn h + b_hn`` only, two candidate biases
    ``b_xn`` and ``b_hn`` (as in ``torch.nn.GRU``).
    """

    gates = GRU_GATES

    def _shapes(self, gate):
        shapes = super()._shapes(gate)
        if gate == "n":
            del shapes["b_n"]
            shapes.update(b_xn=(self.d_h,), b_hn=(self.d_h,))
        return shapes

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """Args: x ``(batch, d_in)``, h ``(batch, d_h)``. Returns ``h_t`` ``(batch, d_h)``."""
        self._check(x, h, {})
        r = torch.sigmoid(x @ self.W_xr.T + h @ self.W_hr.T + self.b_r)
        z = torch.sigmoid(x @ self.W_xz.T + h @ self.W_hz.T + self.b_z)
        n = torch.tanh(x @ self.W_xn.T + self.b_xn + r * (h @ self.W_hn.T + self.b_hn))
        return (1 - z) * n + z * h

    def _biases(self):
        zeros = torch.zeros_like(self.b_r)
        return torch.cat([self.b_r, self.b_z, self.b_xn]), torch.cat([zeros, zeros, self.b_hn])

    def _load_bias(self, gate, b_ih, b_hh):
        if gate == "n":
            self.b_xn.copy_(b_ih)
            self.b_hn.copy_(b_hh)
        else:
            super()._load_bias(gate, b_ih, b_hh)


class _Recurrent(nn.Module):
    """A stack of cells run over time, with the interface of ``torch.nn.LSTM`` / ``GRU``."""

    cell_class: type[_Cell] = _Cell
    torch_class: type[nn.RNNBase] = nn.RNNBase

    def __init__(self, d_in: int, d_h: int, n_layers: int = 1, dropout: float = 0.0):
        super().__init__()
        check_positive_int(n_layers, "n_layers")
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        self.d_in, self.d_h, self.n_layers, self.dropout = d_in, d_h, n_layers, dropout
        self.cells = nn.ModuleList(self.cell_class(d_in if k == 0 else d_h, d_h) for k in range(n_layers))

    def _run(self, x, states):
        """Run every layer over time; ``states[k]`` is layer k's initial state."""
        finals = []
        for k, cell in enumerate(self.cells):
            if k > 0 and self.training and self.dropout > 0:
                x = nn.functional.dropout(x, self.dropout)  # between layers, not after the last
            state, outputs = states[k], []
            for t in range(x.shape[0]):
                state = cell(x[t], state)
                outputs.append(state[0] if isinstance(state, tuple) else state)
            x = torch.stack(outputs)
            finals.append(state)
        return x, finals

    def _time_first(self, x):
        W = next(self.parameters())
        check_tensor(x, "x", ("batch", "time", self.d_in), dtype=W.dtype, device=W.device)
        return x.transpose(0, 1)  # the loop runs over time

    def _zeros(self, x):
        return x.new_zeros(self.n_layers, x.shape[1], self.d_h)

    def _check_state(self, s, name, batch):
        W = next(self.parameters())
        check_tensor(s, name, (self.n_layers, batch, self.d_h), dtype=W.dtype, device=W.device)

    @torch.no_grad()
    def load_torch(self, module: nn.RNNBase) -> _Recurrent:
        """Copy the weights of a ``torch.nn.LSTM``/``GRU`` of the same sizes into this module."""
        if not isinstance(module, self.torch_class):
            raise ArgumentTypeError(f"expected a {self.torch_class.__name__}, got {type(module).__name__}")
        if module.bidirectional or module.proj_size or not module.bias:
            raise ValueError("only unidirectional modules with biases and no projection can be copied")
        sizes = (module.input_size, module.hidden_size, module.num_layers)
        if sizes != (self.d_in, self.d_h, self.n_layers):
            raise ValueError(
                f"sizes (d_in, d_h, n_layers) differ: ours {(self.d_in, self.d_h, self.n_layers)}, torch's {sizes}"
            )
        for k, cell in enumerate(self.cells):
            cell.load_stacked(*(getattr(module, f"{n}_l{k}") for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")))
        return self

    def to_torch(self) -> nn.RNNBase:
        """A batch-first ``torch.nn.LSTM``/``GRU`` with this module's weights (same device and dtype)."""
        p = next(self.parameters())
        module = self.torch_class(self.d_in, self.d_h, self.n_layers, batch_first=True, dropout=self.dropout)
        module = module.to(device=p.device, dtype=p.dtype)
        with torch.no_grad():
            for k, cell in enumerate(self.cells):
                for name, value in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), cell.stacked()):
                    getattr(module, f"{name}_l{k}").copy_(value)
        return module


class LSTM(_Recurrent):
    """A multi-layer LSTM built from :class:`LSTMCell`, called like ``torch.nn.LSTM``.

    ``output, (h_n, c_n) = lstm(x, (h_0, c_0))`` with ``x`` ``(batch, T, d_in)`` (batch-first,
    like the rest of the library: ``torch.nn.LSTM(..., batch_first=True)``); ``output`` is the
    last layer's ``h_t`` for every t, ``(batch, T, d_h)``; ``h_n``, ``c_n`` are every layer's
    final states, ``(n_layers, batch, d_h)``. The state defaults to zeros. ``dropout`` applies
    to the outputs of every layer but the last, in training mode only.
    """

    cell_class = LSTMCell
    torch_class = nn.LSTM

    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None):
        x = self._time_first(x)
        if state is None:
            state = (self._zeros(x), self._zeros(x))
        h0, c0 = _pair(state, "(h_0, c_0)")
        self._check_state(h0, "h_0", x.shape[1])
        self._check_state(c0, "c_0", x.shape[1])
        out, finals = self._run(x, [(h0[k], c0[k]) for k in range(self.n_layers)])
        h_n = torch.stack([h for h, _ in finals])
        c_n = torch.stack([c for _, c in finals])
        return out.transpose(0, 1), (h_n, c_n)


class GRU(_Recurrent):
    """A multi-layer GRU built from :class:`GRUCell`, called like ``torch.nn.GRU``.

    ``output, h_n = gru(x, h_0)``; shapes as for :class:`LSTM` (no cell state).
    """

    cell_class = GRUCell
    torch_class = nn.GRU

    def forward(self, x: torch.Tensor, h0: torch.Tensor | None = None):
        x = self._time_first(x)
        if h0 is None:
            h0 = self._zeros(x)
        self._check_state(h0, "h_0", x.shape[1])
        out, finals = self._run(x, [h0[k] for k in range(self.n_layers)])
        return out.transpose(0, 1), torch.stack(finals)


@torch.no_grad()
def set_forget_bias(lstm: nn.LSTM | LSTM, value: float) -> None:
    """Set every layer's forget-gate bias to ``value`` (torch: ``bias_ih`` = value, ``bias_hh`` = 0).

    A positive value starts the forget gate near 1 (sigmoid(1) = 0.73, sigmoid(3) = 0.95),
    so the cell state, and its gradient, pass through many steps from the start.
    """
    check_finite(value, "value")
    if isinstance(lstm, LSTM):
        for cell in lstm.cells:
            cell.b_f.fill_(value)
    elif isinstance(lstm, nn.LSTM):
        d_h = lstm.hidden_size
        for name, p in lstm.named_parameters():
            if name.startswith("bias_"):
                p[d_h : 2 * d_h] = value if name.startswith("bias_ih") else 0.0
    else:
        raise ArgumentTypeError(f"expected an LSTM or torch.nn.LSTM, got {type(lstm).__name__}")


def input_gradient_norms(rnn: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """How much the last hidden state depends on each input: ``||d sum(h_T) / d x_t||``.

    Args:
        rnn: a batch-first recurrent module returning ``(output, state)`` (``torch.nn.RNN``,
            ``LSTM``, ``GRU`` or this module's classes).
        x: inputs ``(batch, T, d_in)``.

    Returns:
        ``(T,)``: for each step t, the norm of the gradient of the summed last outputs with
        respect to ``x_t``, averaged over the batch.
    """
    check_tensor(x, "x", ("batch", "time", None), dtype="float")
    x = x.detach().clone().requires_grad_(True)
    output, _ = rnn(x)
    check_tensor(output, "output", (x.shape[0], x.shape[1], None))
    (grad,) = torch.autograd.grad(output[:, -1].sum(), x)
    return grad.norm(dim=-1).mean(dim=0)
