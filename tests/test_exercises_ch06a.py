from seqattn_lib.exercises.ch06a import SOLUTIONS, check_sequence_accuracy


def test_sequence_accuracy():
    assert check_sequence_accuracy(SOLUTIONS["sequence_accuracy"])
    assert not check_sequence_accuracy(lambda p, t: float((p == t).float().mean()))  # word accuracy
    assert not check_sequence_accuracy(lambda p, t: float((p == t).any(1).float().mean()))
    assert not check_sequence_accuracy(lambda p, t: None)
    assert not check_sequence_accuracy(lambda p, t: 1 / 0)
    assert not check_sequence_accuracy("not a function")
