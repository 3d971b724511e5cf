import pytest
import torch

from seqattn_lib import generator, get_device, reseed, seed_for, set_threads, setup


def test_forced_cpu(monkeypatch):
    monkeypatch.setenv("SEQATTN_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")


def test_unknown_device_rejected(monkeypatch):
    monkeypatch.setenv("SEQATTN_DEVICE", "tpu")
    with pytest.raises(ValueError, match="SEQATTN_DEVICE must be one of"):
        get_device()


def test_unavailable_cuda_rejected(monkeypatch):
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    monkeypatch.setenv("SEQATTN_DEVICE", "cuda")
    with pytest.raises(ValueError, match="cuda"):
        get_device()


def test_default_order_prefers_cuda_then_mps(monkeypatch):
    monkeypatch.delenv("SEQATTN_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert get_device().type == "mps"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert get_device().type == "cuda"


def test_threads_from_env(monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.setenv("SEQATTN_THREADS", "2")
        assert set_threads() == 2
        monkeypatch.setenv("SEQATTN_THREADS", "two")
        with pytest.raises(ValueError, match="SEQATTN_THREADS"):
            set_threads()
        with pytest.raises(ValueError, match="positive integer"):
            set_threads(0)
    finally:
        torch.set_num_threads(before)


def test_seed_for_depends_on_seed_and_purpose(monkeypatch):
    monkeypatch.setenv("SEQATTN_SEED", "3")
    a, b = seed_for("init"), seed_for("batches")
    assert a != b and 0 <= a < 2**63 and seed_for("init") == a
    monkeypatch.setenv("SEQATTN_SEED", "4")
    assert seed_for("init") != a
    with pytest.raises(TypeError, match="purpose"):
        seed_for("")
    monkeypatch.setenv("SEQATTN_SEED", "-1")
    with pytest.raises(ValueError, match="SEQATTN_SEED"):
        seed_for("init")
    monkeypatch.setenv("SEQATTN_SEED", "zero")
    with pytest.raises(ValueError, match="SEQATTN_SEED"):
        seed_for("init")


def test_generator_and_reseed_repeat(monkeypatch):
    monkeypatch.setenv("SEQATTN_SEED", "3")
    a = torch.rand(4, generator=generator("data"))
    assert torch.equal(a, torch.rand(4, generator=generator("data")))
    assert not torch.equal(a, torch.rand(4, generator=generator("other")))
    reseed("init")
    w = torch.nn.Linear(3, 3).weight.detach().clone()
    reseed("init")
    assert torch.equal(w, torch.nn.Linear(3, 3).weight)
    monkeypatch.setenv("SEQATTN_SEED", "5")
    reseed("init")
    assert not torch.equal(w, torch.nn.Linear(3, 3).weight)


def test_setup_prints_summary(monkeypatch, capsys):
    monkeypatch.setenv("SEQATTN_DEVICE", "cpu")
    monkeypatch.setenv("SEQATTN_THREADS", "1")
    monkeypatch.setenv("SEQATTN_SEED", "1")
    assert setup() == torch.device("cpu")
    assert "device=cpu threads=1 seed=1" in capsys.readouterr().out


def test_unavailable_mps_rejected_and_empty_means_default(monkeypatch):
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    monkeypatch.setenv("SEQATTN_DEVICE", "mps")
    with pytest.raises(ValueError, match="SEQATTN_DEVICE=mps"):
        get_device()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for value in ("", "  "):  # empty: the default order, which falls back to the CPU
        monkeypatch.setenv("SEQATTN_DEVICE", value)
        assert get_device() == torch.device("cpu")
    monkeypatch.setenv("SEQATTN_DEVICE", " CPU ")
    assert get_device() == torch.device("cpu")
