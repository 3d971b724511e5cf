import pytest
import torch

from seqattn_lib import get_device, set_seed, set_threads, setup


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


def test_seed_repeats():
    set_seed(3)
    a = torch.rand(4)
    set_seed(3)
    assert torch.equal(a, torch.rand(4))
    with pytest.raises(ValueError):
        set_seed(-1)


def test_setup_prints_summary(monkeypatch, capsys):
    monkeypatch.setenv("SEQATTN_DEVICE", "cpu")
    monkeypatch.setenv("SEQATTN_THREADS", "1")
    assert setup(seed=1) == torch.device("cpu")
    assert "device=cpu threads=1 seed=1" in capsys.readouterr().out
