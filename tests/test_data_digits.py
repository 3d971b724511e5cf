import pytest
import torch

from seqattn_lib.data.digits import NUMBER_WORDS, caption, load_digit_images, make_strips, split_digits


def test_load_digit_images():
    images, labels = load_digit_images()
    assert images.shape == (1797, 8, 8) and labels.shape == (1797,)
    assert images.min() >= 0 and images.max() <= 1 and set(labels.tolist()) == set(range(10))


def test_split_is_disjoint_and_complete():
    train, test = split_digits(100, test_fraction=0.3, generator=torch.Generator().manual_seed(1))
    assert len(test) == 30 and len(train) == 70
    assert set(train.tolist()).isdisjoint(test.tolist())
    assert sorted(train.tolist() + test.tolist()) == list(range(100))


def test_strips_hold_the_chosen_images_in_order():
    images = torch.rand(10, 3, 2)
    labels = torch.arange(10)
    strips, digits = make_strips(images, labels, 6, n_digits=3, generator=torch.Generator().manual_seed(0))
    assert strips.shape == (6, 3, 6) and digits.shape == (6, 3)
    for s in range(6):
        for slot in range(3):
            assert torch.equal(strips[s, :, 2 * slot : 2 * slot + 2], images[digits[s, slot]])


def test_strips_with_gaps_keep_each_digit_in_its_slot():
    images = torch.rand(10, 4, 3) + 0.1  # no zero pixels: blank columns are the gaps
    strips, digits = make_strips(images, torch.arange(10), 20, n_digits=2, max_gap=2)
    assert strips.shape == (20, 4, 10)
    for s in range(20):
        for slot in range(2):
            cols = strips[s, :, 5 * slot : 5 * slot + 5]
            filled = cols.abs().sum(0) > 0
            assert filled.sum() == 3
            start = int(filled.float().argmax())
            assert torch.equal(cols[:, start : start + 3], images[digits[s, slot]])


def test_caption_and_errors():
    assert caption(torch.tensor([3, 1, 4])) == "three one four"
    assert caption([0, 9]) == f"{NUMBER_WORDS[0]} {NUMBER_WORDS[9]}"
    with pytest.raises(ValueError):
        caption([10])
    with pytest.raises(ValueError, match="labels"):
        make_strips(torch.rand(5, 8, 8), torch.arange(4), 2)
    with pytest.raises(ValueError, match="images"):
        make_strips(torch.rand(5, 8), torch.arange(5), 2)
    with pytest.raises(ValueError):
        make_strips(torch.rand(5, 8, 8), torch.arange(5), 2, max_gap=-1)
    with pytest.raises(ValueError):
        split_digits(10, test_fraction=1.5)
