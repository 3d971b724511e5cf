"""Where and how the book's code runs: device, torch threads, random seeds.

Introduced in chapter 1; every notebook starts with ``device = setup()``.

Environment variables (read each time the functions are called):

``SEQATTN_DEVICE``
    ``cpu``, ``cuda`` or ``mps`` forces that device. Unset: CUDA if available, then
    MPS, then CPU. CI sets ``cpu``.
``SEQATTN_THREADS``
    Number of torch intra-op threads. Unset: 1. The book's models are small; on a
    2-core machine shared with another process a small model ran about 3x faster with
    1 thread than with 2, because the threads wait for each other.
``SEQATTN_SEED``
    Seed used by :func:`setup` (default 0).
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch

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
            raise ValueError(f"SEQATTN_THREADS must be a positive integer, got {raw!r}") from None
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"number of threads must be a positive integer, got {n!r}")
    torch.set_num_threads(n)
    return torch.get_num_threads()


def set_seed(seed: int = 0) -> None:
    """Seed Python's, NumPy's and torch's generators (all devices) for repeatable runs."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def setup(seed: int | None = None, verbose: bool = True) -> torch.device:
    """Set threads and seed, print a one-line summary, return the device.

    Args:
        seed: random seed; ``None`` reads ``SEQATTN_SEED`` (default 0).
        verbose: print the device, thread count and versions.
    """
    if seed is None:
        seed = int(os.environ.get("SEQATTN_SEED", "0"))
    threads = set_threads()
    set_seed(seed)
    device = get_device()
    if verbose:
        print(f"device={device.type} threads={threads} seed={seed} torch={torch.__version__}")
    return device
