import math

import torch

from seqattn_lib.exercises.ch06g import SOLUTIONS, check_token_surprisal, check_unigram_perplexity


def test_token_surprisal():
    def off_by_one(logits, ids):  # scores each word with the position that has already read it
        return -torch.log_softmax(logits[:, 1:], -1).gather(-1, ids[:, 1:, None])[..., 0]

    def no_softmax(logits, ids):
        return -logits[:, :-1].gather(-1, ids[:, 1:, None])[..., 0]

    def log_probability(logits, ids):  # forgets the minus sign
        return torch.log_softmax(logits[:, :-1], -1).gather(-1, ids[:, 1:, None])[..., 0]

    def every_position(logits, ids):  # (batch, n): includes a score for the first word
        return -torch.log_softmax(logits, -1).gather(-1, ids[:, :, None])[..., 0]

    assert check_token_surprisal(SOLUTIONS["token_surprisal"])
    for wrong in (off_by_one, no_softmax, log_probability, every_position, lambda logits, ids: None):
        assert not check_token_surprisal(wrong)


def test_unigram_perplexity():
    def no_smoothing(counts, ids):
        p = counts / counts.sum()
        return math.exp(-p.log()[ids].mean().item())

    def add_one_to_the_total_only(counts, ids):
        p = (counts + 1) / (counts.sum() + 1)
        return math.exp(-p.log()[ids].mean().item())

    def mean_nll_not_perplexity(counts, ids):
        p = (counts + 1) / (counts.sum() + len(counts))
        return -p.log()[ids].mean().item()

    assert check_unigram_perplexity(SOLUTIONS["unigram_perplexity"])
    for wrong in (no_smoothing, add_one_to_the_total_only, mean_nll_not_perplexity, lambda c, i: None):
        assert not check_unigram_perplexity(wrong)
