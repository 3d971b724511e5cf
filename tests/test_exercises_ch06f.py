from seqattn_lib.exercises.ch06f import SOLUTIONS, check_rouge2_f1


def rouge2_unclipped(c, r):
    gr = set(zip(r, r[1:]))
    o = sum(g in gr for g in zip(c, c[1:]))
    n_c, n_r = max(len(c) - 1, 1), max(len(r) - 1, 1)
    return 0.0 if o == 0 else 2 * o / (n_c + n_r)


def test_rouge2_f1():
    assert check_rouge2_f1(SOLUTIONS["rouge2_f1"])
    assert not check_rouge2_f1(rouge2_unclipped)
    assert not check_rouge2_f1(lambda c, r: len(set(c) & set(r)) / len(set(r)))  # unigram recall
    assert not check_rouge2_f1(lambda c, r: None)


def test_recall_at_1():
    from seqattn_lib.exercises.ch06f import check_recall_at_1

    def ties_are_hits(scores, candidates):  # >= instead of >
        s = scores.gather(1, candidates)
        return (s[:, 0] >= s[:, 1:].max(1).values).float().mean().item()

    def argmax_over_all_items(scores, candidates):  # ranks among every item, not the candidates
        return (scores.argmax(1) == candidates[:, 0]).float().mean().item()

    def column_zero_of_scores(scores, candidates):  # forgets to gather the candidates
        return (scores[:, 0] > scores[:, 1:].max(1).values).float().mean().item()

    def count_not_fraction(scores, candidates):
        s = scores.gather(1, candidates)
        return float((s[:, 0] > s[:, 1:].max(1).values).sum())

    assert check_recall_at_1(SOLUTIONS["recall_at_1"])
    for wrong in (ties_are_hits, argmax_over_all_items, column_zero_of_scores, count_not_fraction, lambda s, c: None):
        assert not check_recall_at_1(wrong)
