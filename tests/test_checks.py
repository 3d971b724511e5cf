import pytest
import torch

from seqattn_lib.checks import check_positive_int, check_tensor


def test_binds_and_compares_named_dims():
    dims = check_tensor(torch.zeros(2, 3, 4), "q", ("batch", "n_q", "d_k"))
    assert dims == {"batch": 2, "n_q": 3, "d_k": 4}
    check_tensor(torch.zeros(2, 5, 4), "k", ("batch", "n_k", "d_k"), dims)
    with pytest.raises(ValueError, match=r"k must have shape \(batch=2, n_k=5, d_k=4\), got \(2, 5, 3\)"):
        check_tensor(torch.zeros(2, 5, 3), "k", ("batch", "n_k", "d_k"), dims)


def test_wrong_rank_names_expected_shape():
    with pytest.raises(ValueError, match=r"x must have 3 dimensions \(batch, time, 8\), got shape \(2, 8\)"):
        check_tensor(torch.zeros(2, 8), "x", ("batch", "time", 8))


def test_exact_size_and_wildcard():
    check_tensor(torch.zeros(7, 8), "x", (None, 8))
    with pytest.raises(ValueError, match="got \\(7, 9\\)"):
        check_tensor(torch.zeros(7, 9), "x", (None, 8))


@pytest.mark.parametrize(
    "x, dtype",
    [(torch.zeros(2, dtype=torch.long), "float"), (torch.zeros(2), "int"), (torch.zeros(2), "bool"),
     (torch.zeros(2), torch.float64)],
)
def test_dtype_checks(x, dtype):
    with pytest.raises(ValueError, match="dtype"):
        check_tensor(x, "x", dtype=dtype)


def test_not_a_tensor():
    with pytest.raises(ValueError, match="must be a torch.Tensor, got list"):
        check_tensor([1, 2], "x")


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "3"])
def test_positive_int(bad):
    assert check_positive_int(3, "n") == 3
    with pytest.raises(ValueError, match="n must be a positive int"):
        check_positive_int(bad, "n")


def test_the_other_checks_name_the_argument_and_what_was_expected():
    from torch import nn

    from seqattn_lib.checks import (
        ArgumentTypeError,
        check_finite,
        check_generator,
        check_id_list,
        check_ids,
        check_int,
        check_module,
        check_probability,
        check_str_list,
    )

    cases = [
        (lambda: check_int(3, "n", 0, 3), r"n must be an int in \[0, 3\), got 3"),
        (lambda: check_int(True, "n"), "n must be an int"),
        (lambda: check_finite(float("nan"), "lr"), "lr"),
        (lambda: check_finite(0.0, "lr", positive=True), "lr"),
        (lambda: check_ids(torch.tensor([[1, 9]]), "idx", 5), "idx"),
        (lambda: check_ids(torch.tensor([[1.0]]), "idx", 5), "idx"),
        (lambda: check_id_list("12", "tokens"), "tokens"),
        (lambda: check_id_list([1, 7], "tokens", 5), "tokens"),
        (lambda: check_str_list("abc", "texts"), "texts"),
        (lambda: check_generator(0), "generator"),
        (lambda: check_probability(1.0, "dropout"), r"dropout must be a number in \[0, 1\)"),
        (lambda: check_probability(True, "dropout"), "dropout"),
        (lambda: check_module([nn.Linear(2, 2)], "teacher"), "teacher must be a torch.nn.Module, got list"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=message):
            call()
    assert check_probability(0, "p") == 0.0 and check_int(2, "n", 0, 3) == 2
    with pytest.raises(TypeError):  # a wrong type is both a TypeError and a ValueError
        check_module("model")
    assert issubclass(ArgumentTypeError, TypeError) and issubclass(ArgumentTypeError, ValueError)
