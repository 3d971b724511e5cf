
import pytest
import torch

from seqattn_lib.data.sessions import simulate_sessions


def test_structure():
    s = simulate_sessions(500, 10, n_items=40, n_categories=4, p_follow=1.0, generator=torch.Generator().manual_seed(1))
    assert s.items.shape == (500, 10) and s.items.min() >= 1 and s.items.max() <= 40
    cats = s.category[s.items]
    assert torch.equal(cats[:, 1:], s.next_category[cats[:, :-1]])  # p_follow=1: always the next category
    assert sorted(s.next_category.tolist()) == [0, 1, 2, 3]
    assert torch.equal(simulate_sessions(500, 10, 40, 4, 1.0, torch.Generator().manual_seed(1)).items, s.items)


def test_follow_rate_and_popularity():
    s = simulate_sessions(2000, 8, p_follow=0.7, generator=torch.Generator().manual_seed(0))
    cats = s.category[s.items]
    follow = (cats[:, 1:] == s.next_category[cats[:, :-1]]).float().mean().item()
    assert abs(follow - (0.7 + 0.3 / 10)) < 0.02
    rank = (s.items - 1) % 10
    assert (rank == 0).float().mean() > (rank == 9).float().mean() * 5  # Zipf: first item ~10x the last


def test_bad_arguments():
    with pytest.raises(ValueError):
        simulate_sessions(10, 5, n_items=25, n_categories=10)
    with pytest.raises(ValueError):
        simulate_sessions(10, 5, p_follow=1.5)
