import pytest
import torch

from seqattn_lib.attention import AdditiveAttention
from seqattn_lib.hard_attention import HardAttention, reinforce_surrogate


def _inputs(batch=3, n_q=2, n_k=5, d=4, d_v=6):
    g = torch.Generator().manual_seed(0)
    return (torch.randn(batch, n_q, d, generator=g), torch.randn(batch, n_k, d, generator=g),
            torch.randn(batch, n_k, d_v, generator=g))


@pytest.mark.parametrize("mode", ["reinforce", "gumbel", "soft", "argmax"])
def test_shapes(mode):
    torch.manual_seed(0)
    att = HardAttention(4, 4, 8, mode=mode)
    q, k, v = _inputs()
    out, alpha, log_prob = att(q, k, v)
    assert out.shape == (3, 2, 6) and alpha.shape == (3, 2, 5) and log_prob.shape == (3, 2)
    assert torch.allclose(alpha.sum(-1), torch.ones(3, 2))


def test_same_scores_and_initial_weights_as_additive_attention():
    torch.manual_seed(0)
    soft = AdditiveAttention(4, 4, 8)
    torch.manual_seed(0)
    hard = HardAttention(4, 4, 8, mode="soft")
    q, k, v = _inputs()
    out_soft, alpha_soft = soft(q, k, v)
    out_hard, alpha_hard, log_prob = hard(q, k, v)
    assert torch.allclose(out_soft, out_hard) and torch.allclose(alpha_soft, alpha_hard)
    assert torch.all(log_prob == 0)


@pytest.mark.parametrize("mode", ["reinforce", "gumbel", "argmax"])
def test_hard_modes_read_exactly_one_value_row(mode):
    torch.manual_seed(1)
    att = HardAttention(4, 4, 8)
    q, k, v = _inputs()
    out, alpha, log_prob = att(q, k, v, mode=mode)
    # each output row equals one of the value rows, and log_prob is that row's log alpha
    match = (out[:, :, None, :] - v[:, None, :, :]).abs().amax(-1) < 1e-5  # (batch, n_q, n_k)
    assert torch.all(match.sum(-1) >= 1)
    picked = match.float().argmax(-1)
    assert torch.allclose(log_prob, alpha.gather(-1, picked[..., None]).squeeze(-1).log(), atol=1e-5)
    if mode == "argmax":
        assert torch.equal(picked, alpha.argmax(-1))


def test_reinforce_samples_follow_the_weights():
    torch.manual_seed(2)
    att = HardAttention(4, 4, 8, mode="reinforce")
    q, k, _ = _inputs(batch=1, n_q=1)
    v = torch.eye(5)[None]  # value j is the one-hot of j: the output tells which column was read
    counts = torch.zeros(5)
    for _ in range(4000):
        out, alpha, _ = att(q, k, v)
        counts += out[0, 0]
    assert torch.allclose(counts / 4000, alpha[0, 0].detach(), atol=0.03)


def test_gradients_flow_where_they_should():
    torch.manual_seed(3)
    att = HardAttention(4, 4, 8)
    q, k, v = _inputs()
    v.requires_grad_(True)
    out, _, log_prob = att(q, k, v, mode="reinforce")
    grads = torch.autograd.grad(out.sum(), [att.attention.W_q.weight, v], allow_unused=True)
    assert grads[0] is None and grads[1] is not None  # the sample blocks the path to the scores
    (g_log,) = torch.autograd.grad(log_prob.sum(), [att.attention.W_q.weight])
    assert g_log.abs().sum() > 0
    out, _, _ = att(q, k, v, mode="gumbel")
    (g_st,) = torch.autograd.grad(out.sum(), [att.attention.W_q.weight])
    assert g_st.abs().sum() > 0  # straight-through passes the relaxed gradient


def test_reinforce_surrogate_gradient_is_advantage_times_score():
    log_prob = torch.tensor([[-1.0, -2.0], [-0.5, -0.1]], requires_grad=True)
    loss = torch.tensor([3.0, 1.0], requires_grad=True)
    s = reinforce_surrogate(loss, log_prob, baseline=torch.tensor([1.0, 2.0]))
    (g,) = torch.autograd.grad(s, [log_prob])
    assert torch.allclose(g, torch.tensor([[1.0, 1.0], [-0.5, -0.5]]))  # (L - b) / batch
    s = reinforce_surrogate(loss, log_prob)
    (g_loss,) = torch.autograd.grad(s, [loss], allow_unused=True)
    assert g_loss is None  # the loss enters as a constant
    as_tensor = reinforce_surrogate(loss, log_prob, torch.full((2,), 2.0))
    assert torch.isclose(reinforce_surrogate(loss, log_prob, 2.0), as_tensor)


def test_reinforce_is_unbiased_with_a_baseline():
    # exact expectation over a 3-way choice: sum_s p(s) (L(s) - b) grad log p(s) = grad sum_s p(s) L(s)
    e = torch.tensor([0.3, -0.2, 1.0], requires_grad=True)
    losses = torch.tensor([1.0, 4.0, 2.0])
    p = e.softmax(0)
    (exact,) = torch.autograd.grad((p * losses).sum(), [e])
    for b in (0.0, 2.5):
        total = torch.zeros(3)
        for s in range(3):
            log_prob = e.log_softmax(0)[s].reshape(1, 1)
            (g,) = torch.autograd.grad(reinforce_surrogate(losses[s : s + 1], log_prob, b), [e])
            total += p[s].detach() * g
        assert torch.allclose(total, exact, atol=1e-6)


def test_bad_input():
    with pytest.raises(ValueError, match="mode"):
        HardAttention(4, 4, 8, mode="sample")
    with pytest.raises(ValueError, match="tau"):
        HardAttention(4, 4, 8, tau=0.0)
    with pytest.raises(ValueError, match="d_hidden"):
        HardAttention(4, 4, 0)
    att = HardAttention(4, 4, 8)
    q, k, v = _inputs()
    with pytest.raises(ValueError, match="mode"):
        att(q, k, v, mode="hard")
    with pytest.raises(ValueError, match="k"):
        att(q, k[:, :, :3], v)
    with pytest.raises(ValueError, match="v"):
        att(q, k, v[:, :4])
    with pytest.raises(TypeError, match="q"):
        att(q.tolist(), k, v)
    with pytest.raises(ValueError, match="log_prob"):
        reinforce_surrogate(torch.ones(3), torch.ones(2, 4))
    with pytest.raises(ValueError, match="loss"):
        reinforce_surrogate(torch.ones(3, 1), torch.ones(3, 4))
    with pytest.raises(ValueError, match="baseline"):
        reinforce_surrogate(torch.ones(3), torch.ones(3, 4), torch.ones(2))
    with pytest.raises(ValueError, match="baseline"):
        reinforce_surrogate(torch.ones(3), torch.ones(3, 4), float("nan"))
    with pytest.raises(ValueError, match="dtype"):
        att(q, k, v.double())
