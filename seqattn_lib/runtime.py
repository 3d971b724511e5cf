"""Where and how the book's code runs: device, torch threads, random seeds.

Introduced in chapter 1; every notebook starts with ``device = setup()``.

Environment variables (read each time the functions are called):

``SEQATTN_DEVICE``
    ``cpu``, ``cuda`` or ``mps`` forces that device. Unset (or empty): CUDA if available,
    then MPS, then CPU, so a machine without an accelerator falls back to the CPU. A forced
    device that is not available is an error (``ValueError`` naming the variable), not a
    silent fall-back: a run that asked for the GPU should not quietly take hours on the
    CPU. CI sets ``cpu``.
``SEQATTN_THREADS``
    Number of torch intra-op threads. Unset: 1. The book's models are small; on a
    2-core machine shared with another process a small model ran about 3x faster with
    1 thread than with 2, because the threads wait for each other.
``SEQATTN_SEED``
    The one seed every random choice in the book derives from (default 0). A notebook
    never writes a seed of its own: it asks :func:`generator` for a generator named after
    its purpose (``generator("batches")``) or calls :func:`reseed` with a purpose before it
    builds a model. Each purpose gets its own stream, derived from the seed and the name,
    so a cell draws the same numbers whatever ran before it, and a new seed changes them all.

Accelerators. ``tests/test_device_parity.py`` checks that every module of the library gives
the same outputs and gradients on the CPU and on each accelerator present, within stated
float32 tolerances (with TF32 off). A GPU still gives a model another random trajectory than
the CPU (other kernels sum in another order), just as another seed does; the chapters'
claims are bounded to hold for any seed. Known problems of Apple's MPS backend that touch
operations the library uses, and what the library does about them:

* ``F.scaled_dot_product_attention`` on MPS gave wrong outputs for a mask broadcast over the
  heads, ``(batch, 1, n_q, n_k)`` (fixed in PyTorch by
  https://github.com/pytorch/pytorch/pull/184180). That is the mask shape of
  :class:`~seqattn_lib.attention.MultiHeadAttention`'s fused path, so on MPS a masked call
  takes the explicit path (matrix products and :func:`~seqattn_lib.attention.masked_softmax`)
  instead.
* ``F.scaled_dot_product_attention(..., is_causal=True)`` on MPS let queries see future
  keys in float16/bfloat16 (https://github.com/pytorch/pytorch/issues/195910). The library
  never passes ``is_causal`` (it builds its causal masks itself) and computes in float32.
* ``nn.LSTM`` with ``num_layers >= 2`` and ``dropout > 0`` computed wrong gradients on MPS
  (https://github.com/pytorch/pytorch/issues/190056). The library's LSTM is built from its
  own cells (:mod:`seqattn_lib.lstm`); ``LSTM.to_torch()`` copies the dropout setting, so
  train such a copy on MPS only without dropout.
* Recurrent layers over packed sequences (``pack_padded_sequence``, used by
  :class:`~seqattn_lib.seq2seq.Encoder`'s bidirectional GRU) have open reports of NaN
  outputs and missing gradients on MPS (https://github.com/pytorch/pytorch/issues/94691,
  https://github.com/pytorch/pytorch/issues/102911). The parity test covers that encoder;
  if it fails on a Mac, run chapter 4 with ``SEQATTN_DEVICE=cpu``.
"""

from __future__ import annotations

import hashlib
import os
import random

import numpy as np
import torch

from .checks import ArgumentTypeError

DEVICES = ("cpu", "cuda", "mps")


def get_device() -> torch.device:
    """Return the device to compute on: ``SEQATTN_DEVICE`` if set, else CUDA, MPS, CPU.

    Raises:
        ValueError: if ``SEQATTN_DEVICE`` names an unknown or unavailable device.
    """
    forced = os.environ.get("SEQATTN_DEVICE", "").strip().lower()
    if forced:
        if forced not in DEVICES:
            raise ValueError(f"SEQATTN_DEVICE must be one of {DEVICES}, got {forced!r}")
        if forced == "cuda" and not torch.cuda.is_available():
            raise ValueError("SEQATTN_DEVICE=cuda but torch.cuda.is_available() is False")
        if forced == "mps" and not torch.backends.mps.is_available():
            raise ValueError("SEQATTN_DEVICE=mps but torch.backends.mps.is_available() is False")
        return torch.device(forced)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def set_threads(n: int | None = None) -> int:
    """Set torch's intra-op thread count to ``n``, or ``SEQATTN_THREADS``, or 1.

    Returns:
        The number of threads now in use.

    Raises:
        ValueError: if the number is not a positive integer.
    """
    if n is None:
        raw = os.environ.get("SEQATTN_THREADS", "1")
        try:
            n = int(raw)
        except ValueError:
            n = 0
        if n < 1:
            raise ValueError(f"SEQATTN_THREADS must be a positive integer, got {raw!r}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n (the number of threads) must be a positive integer, got {n!r}")
    torch.set_num_threads(n)
    return torch.get_num_threads()


def book_seed() -> int:
    """The book's seed: ``SEQATTN_SEED`` (default 0), read each time.

    Raises:
        ValueError: if ``SEQATTN_SEED`` is not a non-negative integer.
    """
    raw = os.environ.get("SEQATTN_SEED", "0")
    try:
        seed = int(raw)
    except ValueError:
        raise ValueError(f"SEQATTN_SEED must be a non-negative integer, got {raw!r}") from None
    if seed < 0:
        raise ValueError(f"SEQATTN_SEED must be a non-negative integer, got {raw!r}")
    return seed


def seed_for(purpose: str) -> int:
    """A 63-bit seed derived from the book's seed and ``purpose`` (a name such as ``"init"``).

    The same purpose under the same ``SEQATTN_SEED`` always gives the same seed; different
    purposes give unrelated streams.

    Raises:
        ArgumentTypeError: (a ``TypeError`` and a ``ValueError``) if ``purpose`` is not a non-empty string.
    """
    if not isinstance(purpose, str) or not purpose:
        raise ArgumentTypeError(f"purpose must be a non-empty str, got {purpose!r}")
    digest = hashlib.sha256(f"{book_seed()}/{purpose}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def generator(purpose: str) -> torch.Generator:
    """A fresh CPU ``torch.Generator`` seeded by :func:`seed_for` ``(purpose)``.

    Pass it to anything that draws random numbers (batches, data splits, sampling), so the
    draws depend on ``SEQATTN_SEED`` and on nothing else.
    """
    return torch.Generator().manual_seed(seed_for(purpose))


def reseed(purpose: str) -> int:
    """Seed Python's, NumPy's and torch's global generators from :func:`seed_for` ``(purpose)``.

    Call it right before code that draws from the global generators (a model's parameter
    initialisation, dropout). Returns the seed used.
    """
    seed = seed_for(purpose)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return seed


def setup(verbose: bool = True) -> torch.device:
    """Set threads, seed the global generators, print a one-line summary, return the device.

    Args:
        verbose: print the device, thread count, seed and torch version.
    """
    threads = set_threads()
    seed = book_seed()
    reseed("setup")
    device = get_device()
    if verbose:
        print(f"device={device.type} threads={threads} seed={seed} torch={torch.__version__}")
    return device
