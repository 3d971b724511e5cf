"""Plots used across the book: training curves and attention heatmaps.

Introduced in chapter 1 (training curves) and chapter 2 (heatmaps). Every function
draws on a matplotlib ``Axes`` (a new figure if none is given) and returns the axes, so
a notebook can add to the figure or place several plots side by side.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

from .train import History


def _axes(ax, figsize=(6, 4)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_history(
    histories: History | dict[str, History],
    metric: str = "loss",
    ax=None,
    title: str | None = None,
    ylabel: str | None = None,
    logy: bool = False,
):
    """Plot ``metric`` against training step for one run or several labelled runs.

    Args:
        histories: a :class:`History`, or ``{label: History}`` to compare runs.
        metric: the logged metric to draw (e.g. ``"loss"``, ``"val_loss"``).
        ax: axes to draw on (default: a new figure).
        title, ylabel: text for the figure (``ylabel`` defaults to ``metric``).
        logy: logarithmic y axis.
    """
    if isinstance(histories, History):
        histories = {metric: histories}
    if not histories:
        raise ValueError("histories must hold at least one History")
    ax = _axes(ax)
    for label, history in histories.items():
        if metric not in history.metrics:
            raise ValueError(f"run {label!r} has no metric {metric!r}; it has {sorted(history.metrics)}")
        steps, values = zip(*history.metrics[metric])
        ax.plot(steps, values, label=label, marker="." if len(steps) < 30 else None)
    ax.set_xlabel("training step")
    ax.set_ylabel(ylabel or metric)
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    if len(histories) > 1:
        ax.legend()
    ax.grid(alpha=0.3)
    return ax


def plot_heatmap(
    weights: torch.Tensor | np.ndarray,
    x_labels: Sequence[str] | None = None,
    y_labels: Sequence[str] | None = None,
    ax=None,
    title: str | None = None,
    xlabel: str = "key position",
    ylabel: str = "query position",
    cmap: str = "viridis",
    annotate: bool | None = None,
    colorbar: bool = True,
):
    """Draw a 2-D matrix of attention weights with token labels.

    Args:
        weights: ``(n_queries, n_keys)``; row ``i`` is where query ``i`` looks.
        x_labels: ``n_keys`` labels (e.g. source tokens), shown on the x axis.
        y_labels: ``n_queries`` labels (e.g. output tokens), shown on the y axis.
        ax: axes to draw on (default: a new figure sized to the matrix).
        annotate: write each value in its cell (default: when the matrix is at most 12x12).
        colorbar: add a colour bar.
    """
    if isinstance(weights, torch.Tensor):
        weights = weights.detach().float().cpu().numpy()
    weights = np.asarray(weights)
    if weights.ndim != 2:
        raise ValueError(f"weights must be 2-D (n_queries, n_keys), got shape {weights.shape}")
    n_q, n_k = weights.shape
    for labels, n, name in ((x_labels, n_k, "x_labels"), (y_labels, n_q, "y_labels")):
        if labels is not None and len(labels) != n:
            raise ValueError(f"{name} must have {n} entries to match weights {weights.shape}, got {len(labels)}")
    ax = _axes(ax, figsize=(min(1 + 0.5 * n_k, 12), min(1 + 0.45 * n_q, 10)))
    image = ax.imshow(weights, cmap=cmap, aspect="auto")
    if x_labels is not None:
        ax.set_xticks(range(n_k), labels=list(x_labels), rotation=90 if n_k > 6 else 0)
    if y_labels is not None:
        ax.set_yticks(range(n_q), labels=list(y_labels))
    if annotate is None:
        annotate = n_q <= 12 and n_k <= 12
    if annotate:
        top = weights.max() if weights.size else 0
        for i in range(n_q):
            for j in range(n_k):
                colour = "black" if weights[i, j] > 0.6 * top else "white"
                ax.text(j, i, f"{weights[i, j]:.2f}", ha="center", va="center", color=colour, fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return ax
