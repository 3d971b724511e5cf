import json

import pytest
import torch

from seqattn_lib.claims import claim


def test_claim_returns_value_and_checks_bounds():
    assert claim("accuracy", 0.9, at_least=0.8) == 0.9
    assert claim("loss", torch.tensor(1.5), at_most=2.0) == 1.5
    assert claim("ratio", 3, at_least=1, at_most=4) == 3.0
    with pytest.raises(AssertionError, match=r"'accuracy'.*0\.7.*>= 0\.8"):
        claim("accuracy", 0.7, at_least=0.8)
    with pytest.raises(AssertionError, match="<= 2"):
        claim("loss", 2.5, at_most=2.0)
    with pytest.raises(AssertionError, match="nan"):
        claim("loss", float("nan"), at_most=2.0)


def test_claim_refuses_malformed_input():
    with pytest.raises(ValueError, match="at_least, at_most"):
        claim("x", 1.0)
    with pytest.raises(TypeError, match="name"):
        claim("", 1.0, at_least=0)
    with pytest.raises(TypeError, match="value"):
        claim("x", "1.0", at_least=0)
    with pytest.raises(TypeError, match="value"):
        claim("x", torch.ones(2), at_least=0)
    with pytest.raises(ValueError, match="at_least"):
        claim("x", 1.0, at_least=2, at_most=1)
    with pytest.raises(ValueError, match="NaN"):
        claim("x", 1.0, at_least=float("nan"))


def test_claims_are_recorded_when_asked(tmp_path, monkeypatch):
    path = tmp_path / "claims.jsonl"
    monkeypatch.setenv("SEQATTN_CLAIMS", str(path))
    claim("a", 1.0, at_least=0.5)
    with pytest.raises(AssertionError):
        claim("b", 0.1, at_least=0.5, at_most=2)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert rows == [
        {"claim": "a", "value": 1.0, "at_least": 0.5, "at_most": None, "held": True},
        {"claim": "b", "value": 0.1, "at_least": 0.5, "at_most": 2.0, "held": False},
    ]
