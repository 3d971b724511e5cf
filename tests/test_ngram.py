import math

import torch

from seqattn_lib.ngram import NGramLM


def test_probabilities_of_every_next_token_sum_to_one():
    torch.manual_seed(0)
    ids, V = torch.randint(0, 5, (300,)), 5
    for n in (1, 2, 3, 4):
        lm = NGramLM(ids, n, V)
        for context in (ids[10:13], torch.tensor([4, 4, 4]), torch.tensor([0])):
            total = sum(math.exp(lm.log_probs(torch.cat([context, torch.tensor([c])]))[-1]) for c in range(V))
            assert math.isclose(total, 1.0, rel_tol=1e-9)


def test_witten_bell_by_hand():
    # training text "abab a" as ids: a=0, b=1; V = 3 (id 2 never occurs)
    ids, V = torch.tensor([0, 1, 0, 1, 0]), 3
    lm = NGramLM(ids, 2, V)
    unigram = torch.tensor([3 + 1, 2 + 1, 0 + 1]) / (5 + V)
    assert torch.allclose(lm.unigram, unigram.double())
    # after "a": C(a) = 2 (a->b twice), T(a) = 1; P(b|a) = (2 + 1 * P1(b)) / (2 + 1)
    p_b_after_a = math.exp(lm.log_probs(torch.tensor([0, 1]))[-1])
    assert math.isclose(p_b_after_a, (2 + unigram[1].item()) / 3)
    # "c" never occurs as a context: P(a|c) = P1(a)
    assert math.isclose(math.exp(lm.log_probs(torch.tensor([2, 0]))[-1]), unigram[0].item())
    # the first position has no context: the unigram
    assert math.isclose(math.exp(lm.log_probs(torch.tensor([1]))[0]), unigram[1].item())


def test_unseen_context_share():
    ids = torch.tensor([0, 1, 0, 1, 0])
    assert NGramLM(ids, 1, 3).unseen_context_share(torch.tensor([2, 2])) == 0.0
    lm = NGramLM(ids, 2, 3)
    # contexts of the positions 1..3 of [0, 2, 1, 0]: "a" (seen), "c" (unseen), "b" (seen)
    assert math.isclose(lm.unseen_context_share(torch.tensor([0, 2, 1, 0])), 1 / 3)


def test_higher_orders_fit_their_training_text_better():
    torch.manual_seed(0)
    ids = torch.randint(0, 4, (400,))
    nll = [-NGramLM(ids, n, 4).log_probs(ids).mean().item() for n in (1, 2, 3, 4)]
    assert all(a > b for a, b in zip(nll, nll[1:]))
