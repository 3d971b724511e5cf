"""Data-parallel training with ``torch.distributed``: one script for 1, 2 or many processes.

Introduced in chapter 7b. Every process (a *rank*) holds a full copy of the model, takes its
own equal shard of each global batch, computes the gradient of its shard's mean loss, and
``DistributedDataParallel`` (DDP) averages the gradients over the ranks with all-reduce
before the optimiser steps, so every copy takes the same step. With equal shards the
average of the shard gradients is the gradient of the global batch's mean loss: the ranks
train exactly the model one process would train on the concatenated batches (up to
floating-point rounding).

The module is also the program that ``torchrun`` starts in every process::

    python -m torch.distributed.run --standalone --nproc-per-node 2 \\
        -m seqattn_lib.distributed --steps 20 --out /tmp/ddp.pt

Each process reads ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK`` from the environment that
``torchrun`` sets, and ``SEQATTN_SEED`` like the rest of the book (the launcher passes its
environment on), so every rank builds the same model and the same global batches. Rank 0
saves the final weights, the first step's averaged gradients and the step times to
``--out``. :func:`launch` runs that command from Python.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import torch
from torch import nn

from .checks import ArgumentTypeError, check_finite, check_int, check_module, check_positive_int, check_tensor
from .data.shakespeare import list_plays, lm_batch, play_text
from .data.vocab import Vocab
from .rnn import lm_loss
from .runtime import generator, reseed, set_threads
from .transformer import GPT

#: The tiny setting of chapter 7b: a character GPT small enough that a step takes milliseconds.
MODEL = {"d_model": 32, "n_heads": 2, "n_layers": 2, "max_len": 32}


def load_ids(n_chars: int = 20_000) -> tuple[torch.Tensor, Vocab]:
    """The first ``n_chars`` characters of the first play (``list_plays()[0]``) as int64 ids, and their vocabulary."""
    check_positive_int(n_chars, "n_chars")
    text = play_text(list_plays()[0][1])[:n_chars]
    vocab = Vocab(text)
    return torch.tensor(vocab.encode(list(text)), dtype=torch.long), vocab


DTYPES = {"float32": torch.float32, "float64": torch.float64}


def build_model(vocab_size: int, dtype: str = "float32") -> GPT:
    """The chapter's small GPT (:data:`MODEL`) in ``dtype`` (``"float32"`` or ``"float64"``),
    initialised from ``seed_for("ch07b/init")``: the same weights in every process."""
    check_positive_int(vocab_size, "vocab_size")
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {sorted(DTYPES)}, got {dtype!r}")
    reseed("ch07b/init")
    return GPT(vocab_size, **MODEL).to(DTYPES[dtype])


def global_batches(ids: torch.Tensor, steps: int, batch_size: int, seq_len: int) -> list[tuple[torch.Tensor, ...]]:
    """``steps`` global batches ``(x, y)`` of :func:`~seqattn_lib.data.shakespeare.lm_batch`, each
    ``(batch_size, seq_len)``, drawn from ``generator("ch07b/batches")``: every process draws the same ones."""
    check_positive_int(steps, "steps")
    gen = generator("ch07b/batches")
    return [lm_batch(ids, batch_size, seq_len, gen) for _ in range(steps)]


def shard(x: torch.Tensor, rank: int, world_size: int) -> torch.Tensor:
    """Rank ``rank``'s rows of ``x``: the ``rank``-th of ``world_size`` equal, contiguous slices
    along the batch dimension. Equal sizes are required: only then is the mean of the shards'
    mean losses the mean loss of the whole batch."""
    check_tensor(x, "x")
    check_positive_int(world_size, "world_size")
    check_int(rank, "rank", 0, world_size)
    if x.dim() == 0 or len(x) % world_size:
        raise ValueError(f"x must have a batch size divisible by world_size={world_size}, got shape {tuple(x.shape)}")
    size = len(x) // world_size
    return x[rank * size:(rank + 1) * size]


def _check_batches(batches) -> None:
    if not isinstance(batches, list) or not batches:
        raise ValueError(f"batches must be a non-empty list of (x, y) pairs, got {type(batches).__name__}")
    bad = [type(b).__name__ for b in batches if not isinstance(b, tuple | list) or len(b) != 2]
    if bad:
        raise ValueError(f"batches must hold only (x, y) pairs, got a {bad[0]} in the list")


def averaged_shard_gradients(model: nn.Module, x: torch.Tensor, y: torch.Tensor, world_size: int) -> list[torch.Tensor]:
    """What DDP computes, in one process: the gradient of each shard's mean loss, averaged over
    the ``world_size`` shards (one tensor per parameter). Leaves ``model``'s ``.grad`` as it was."""
    check_module(model)
    check_positive_int(world_size, "world_size")
    params = [p for p in model.parameters() if p.requires_grad]
    total = [torch.zeros_like(p) for p in params]
    for rank in range(world_size):
        grads = torch.autograd.grad(lm_loss(model, (shard(x, rank, world_size), shard(y, rank, world_size))), params)
        for t, g in zip(total, grads):
            t += g / world_size
    return total


def train_steps(model: nn.Module, batches: list, lr: float = 0.5, rank: int = 0, world_size: int = 1) -> dict:
    """Train ``model`` with SGD (momentum 0.9) on rank ``rank``'s shard of each global batch.

    With ``world_size=1`` this is ordinary training on the whole batches; wrapped in DDP with
    one process per rank, the same function is data-parallel training.

    Returns:
        ``{"losses": [...], "step_seconds": [...], "first_grads": [...]}``: this rank's shard
        loss per step, the wall time of each step, and the parameters' ``.grad`` after the
        first backward pass (under DDP: already averaged over the ranks).
    """
    check_module(model)
    _check_batches(batches)
    lr = check_finite(lr, "lr", positive=True)
    check_positive_int(world_size, "world_size")
    check_int(rank, "rank", 0, world_size)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    losses, seconds, first_grads = [], [], None
    for x, y in batches:
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss = lm_loss(model, (shard(x, rank, world_size), shard(y, rank, world_size)))
        loss.backward()  # under DDP: the all-reduce of the gradient buckets overlaps this pass
        if first_grads is None:
            first_grads = [p.grad.detach().clone() for p in model.parameters()]
        optimizer.step()
        losses.append(loss.item())  # waits for the step to finish (on a GPU too)
        seconds.append(time.perf_counter() - start)
    return {"losses": losses, "step_seconds": seconds, "first_grads": first_grads}


def _counting_allreduce(state: dict, bucket):
    """A DDP communication hook: count the bucket's bytes, then do DDP's usual averaging all-reduce."""
    import torch.distributed as dist
    from torch.distributed.algorithms.ddp_comm_hooks.default_hooks import allreduce_hook

    buffer = bucket.buffer()
    state["bytes"] += buffer.numel() * buffer.element_size()
    state["buckets"] += 1
    return allreduce_hook(dist.group.WORLD, bucket)


def worker(args: argparse.Namespace) -> None:
    """One rank of the data-parallel run (what ``torchrun`` starts in every process)."""
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel as DDP

    rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ["LOCAL_RANK"])  # this process's index on its machine: picks its GPU
    set_threads()
    if args.device == "cuda":  # one GPU per process, NCCL between GPUs
        torch.cuda.set_device(local_rank)
        device, backend, device_ids = torch.device("cuda", local_rank), "nccl", [local_rank]
    else:  # CPU processes talk through gloo (here over the loopback interface)
        device, backend, device_ids = torch.device("cpu"), "gloo", None
    dist.init_process_group(backend)
    ids, vocab = load_ids()
    model = DDP(build_model(len(vocab), args.dtype).to(device), device_ids=device_ids, bucket_cap_mb=args.bucket_mb)
    counts = {"bytes": 0, "buckets": 0}
    model.register_comm_hook(counts, _counting_allreduce)
    batches = [(x.to(device), y.to(device)) for x, y in global_batches(ids, args.steps, args.batch_size, args.seq_len)]
    result = train_steps(model, batches, args.lr, rank, world_size)
    # The all-reduce alone, on a buffer as large as all the gradients, timed the same way.
    flat = torch.zeros(sum(p.numel() for p in model.parameters()), dtype=DTYPES[args.dtype], device=device)
    allreduce_seconds = []
    for _ in range(args.repeat):
        dist.barrier()
        start = time.perf_counter()
        dist.all_reduce(flat)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        allreduce_seconds.append(time.perf_counter() - start)
    if rank == 0:
        torch.save({**result, "state": {k: v.cpu() for k, v in model.module.state_dict().items()},
                    "first_grads": [g.cpu() for g in result["first_grads"]], "world_size": world_size,
                    "backend": backend, "bytes_per_step": counts["bytes"] / args.steps,
                    "buckets_per_step": counts["buckets"] / args.steps, "allreduce_seconds": allreduce_seconds},
                   args.out)
    dist.destroy_process_group()


def launch(nproc: int, out: str | Path, steps: int = 20, batch_size: int = 16, seq_len: int = 32,
           lr: float = 0.5, dtype: str = "float32", bucket_mb: float = 25.0,
           timeout: float = 120) -> tuple[dict, float]:
    """Start ``nproc`` CPU processes with ``torchrun`` (``python -m torch.distributed.run
    --standalone``) running :func:`worker`, wait, and return rank 0's results and the wall
    seconds the whole launch took (start-up included). The arguments are the worker's
    (``--steps``, ``--batch-size`` ...); ``--standalone`` picks a free port on this machine.

    Raises:
        ValueError: for a bad argument; ``RuntimeError`` (with the processes' output) if the run fails.
    """
    check_positive_int(nproc, "nproc")
    for value, name in ((steps, "steps"), (batch_size, "batch_size"), (seq_len, "seq_len")):
        check_positive_int(value, name)
    if batch_size % nproc:
        raise ValueError(f"batch_size must be divisible by nproc={nproc}, got {batch_size}")
    check_finite(lr, "lr", positive=True)
    check_finite(timeout, "timeout", positive=True)
    check_finite(bucket_mb, "bucket_mb", positive=True)
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {sorted(DTYPES)}, got {dtype!r}")
    if not isinstance(out, str | Path):
        raise ArgumentTypeError(f"out must be a str or Path, got {type(out).__name__}")
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(nproc),
               "-m", "seqattn_lib.distributed", "--steps", str(steps), "--batch-size", str(batch_size),
               "--seq-len", str(seq_len), "--lr", repr(float(lr)), "--dtype", dtype,
               "--bucket-mb", repr(float(bucket_mb)), "--out", str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "SEQATTN_THREADS": os.environ.get("SEQATTN_THREADS", "1")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[1]), env.get("PYTHONPATH")]))
    start = time.perf_counter()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    seconds = time.perf_counter() - start
    if proc.returncode:
        raise RuntimeError(f"torchrun failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return torch.load(out, weights_only=False), seconds


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="One rank of chapter 7b's data-parallel run (start it with torchrun).")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=16, help="global batch: split equally over the ranks")
    parser.add_argument("--seq-len", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.5)
    parser.add_argument("--bucket-mb", type=float, default=25.0, help="DDP's gradient bucket size (MB)")
    parser.add_argument("--repeat", type=int, default=10, help="timed all-reduces after training")
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="float32")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--out", required=True)
    return parser.parse_args(argv)


if __name__ == "__main__":
    worker(parse_args())
