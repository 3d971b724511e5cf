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
