import matplotlib

matplotlib.use("Agg")  # tests only; notebooks keep the inline backend
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from seqattn_lib.plot import plot_heatmap, plot_history  # noqa: E402
from seqattn_lib.train import History  # noqa: E402


def test_heatmap_labels_and_values():
    w = torch.softmax(torch.randn(3, 4), -1)
    ax = plot_heatmap(w, x_labels=list("abcd"), y_labels=["x", "y", "z"], title="t")
    assert [t.get_text() for t in ax.get_xticklabels()] == list("abcd")
    assert np.allclose(ax.images[0].get_array(), w.numpy())
    assert len(ax.texts) == 12  # annotated cells


def test_heatmap_rejects_bad_input():
    with pytest.raises(ValueError, match=r"2-D \(n_queries, n_keys\)"):
        plot_heatmap(torch.zeros(2, 3, 4))
    with pytest.raises(ValueError, match="x_labels must have 3 entries"):
        plot_heatmap(torch.zeros(2, 3), x_labels=["a"])


def test_history_plot():
    a, b = History(), History()
    for s in (1, 2):
        a.log(s, loss=1.0 / s)
        b.log(s, loss=2.0 / s)
    ax = plot_history({"a": a, "b": b}, "loss", logy=True)
    assert len(ax.lines) == 2 and ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="has no metric"):
        plot_history(a, "acc")
