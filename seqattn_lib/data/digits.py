"""Strips of handwritten digits with number-word captions, from scikit-learn's bundled data.

Introduced in chapter 6 (image captioning with visual attention). ``load_digits`` ships
1,797 grey 8x8 images of the digits 0-9 inside scikit-learn (no download). A *strip*
puts ``n_digits`` of them side by side into an ``8 x 8 n_digits`` image whose caption is
the digits' names, e.g. ``"three one four"``.

Split the images first (:func:`split_digits`), then compose strips from each part
(:func:`make_strips`), so that no test strip contains an image seen in training.
"""

from __future__ import annotations

import torch

from .. import runtime
from ..checks import check_finite, check_generator, check_int, check_positive_int, check_tensor

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def load_digit_images() -> tuple[torch.Tensor, torch.Tensor]:
    """All 1,797 digits of ``sklearn.datasets.load_digits``.

    Returns:
        ``(images, labels)``: ``(1797, 8, 8)`` float32 in ``[0, 1]`` and ``(1797,)`` int64.
    """
    from sklearn.datasets import load_digits

    data = load_digits()
    images = torch.tensor(data.images, dtype=torch.float32) / 16.0
    return images, torch.tensor(data.target, dtype=torch.int64)


def split_digits(
    n_images: int, test_fraction: float = 0.3, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Shuffle ``range(n_images)`` and cut it into train and test indices.

    ``generator`` ``None`` derives the shuffle from ``SEQATTN_SEED``.

    Returns:
        ``(train_idx, test_idx)``: int64 tensors with no index in common.
    """
    check_positive_int(n_images, "n_images")
    check_generator(generator)
    if not 0 < check_finite(test_fraction, "test_fraction") < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    generator = generator if generator is not None else runtime.generator("split_digits")
    order = torch.randperm(n_images, generator=generator)
    n_test = max(1, int(round(n_images * test_fraction)))
    return order[n_test:], order[:n_test]


def make_strips(
    images: torch.Tensor,
    labels: torch.Tensor,
    n_strips: int,
    n_digits: int = 4,
    max_gap: int = 0,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Compose strips of ``n_digits`` random images placed left to right.

    Each digit sits in a slot ``width + max_gap`` columns wide, shifted right by a random
    gap of ``0..max_gap`` blank columns, so the same slot is not always at the same place.

    Args:
        images: ``(n_images, height, width)`` float digit images.
        labels: ``(n_images,)`` int digit of each image.
        n_strips: number of strips to make.
        n_digits: digits per strip.
        max_gap: largest random shift of a digit inside its slot (0: digits touch).
        generator: random generator for repeatable strips.

    Returns:
        ``(strips, digits)``: ``(n_strips, height, n_digits * width)`` float and
        ``(n_strips, n_digits)`` int64, the digit in each slot from left to right.
    """
    cpu = torch.device("cpu")
    dims = check_tensor(images, "images", ("n_images", "height", "width"), dtype="float", device=cpu)
    check_tensor(labels, "labels", ("n_images",), dims, dtype="int", device=cpu)
    if len(images) == 0:
        raise ValueError("images must hold at least one image")
    check_positive_int(n_strips, "n_strips")
    check_positive_int(n_digits, "n_digits")
    check_int(max_gap, "max_gap", 0)
    check_generator(generator)
    height, width = dims["height"], dims["width"]
    pick = torch.randint(len(images), (n_strips, n_digits), generator=generator)
    gaps = torch.randint(max_gap + 1, (n_strips, n_digits), generator=generator)
    slots = torch.zeros(n_strips, n_digits, height, width + max_gap, dtype=images.dtype)
    cols = gaps[:, :, None] + torch.arange(width)  # (n_strips, n_digits, width): where each column goes
    slots.scatter_(3, cols[:, :, None].expand(-1, -1, height, -1), images[pick])
    strips = slots.permute(0, 2, 1, 3).reshape(n_strips, height, n_digits * (width + max_gap))
    return strips, labels[pick].long()


def caption(digits: torch.Tensor | list[int]) -> str:
    """Number words of a strip's digits: ``[3, 1, 4]`` -> ``"three one four"``."""
    digits = digits.tolist() if isinstance(digits, torch.Tensor) else list(digits)
    if not all(isinstance(d, int) and 0 <= d <= 9 for d in digits):
        raise ValueError(f"digits must be ints in 0..9, got {digits!r}")
    return " ".join(NUMBER_WORDS[d] for d in digits)
