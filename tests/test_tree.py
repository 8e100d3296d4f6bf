"Fast checks of the tree-Gaussian maths (the notebook nbs/15_tree.ipynb has the full lessons; the models are in test_family.py)."
import math
import pytest
import torch
from torch.distributions import MultivariateNormal, kl_divergence
from catvae.tree import (tree_from_parent, random_tree, max_spanning_tree, tree_scan, tree_noise, tree_L, tree_corr,
                         tree_entropy, tree_kl, tree_gaussian_posterior)

@pytest.fixture
def f64():
    old = torch.get_default_dtype(); torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)

@pytest.fixture
def setup(f64):
    g = torch.Generator().manual_seed(0)
    t = random_tree(9, g)
    gamma = torch.rand(9, 2, generator=g) * 1.8 - 0.9
    return g, t, gamma

def test_scan_matches_dense_L(setup):
    g, t, gamma = setup
    eps = torch.randn(9, 2, generator=g)
    assert torch.allclose(tree_noise(eps, gamma, t), torch.einsum('dbc,cd->bd', tree_L(gamma, t), eps), atol=1e-10)
    L = tree_L(gamma, t)
    assert torch.allclose(L @ L.transpose(1, 2), tree_corr(gamma, t), atol=1e-10)

def test_kl_and_entropy_match_dense(setup):
    g, t, gamma = setup
    mu, lv, rho = torch.randn(9, 2, generator=g), torch.randn(9, 2, generator=g) * .3, torch.rand(9, 2, generator=g) * .9
    sd = (0.5 * lv).exp().T
    q = MultivariateNormal(mu.T, covariance_matrix=sd[:, :, None] * tree_corr(gamma, t) * sd[:, None, :])
    Lp = tree_L(rho, t); p = MultivariateNormal(torch.zeros(2, 9), covariance_matrix=Lp @ Lp.transpose(1, 2))
    assert math.isclose(float(tree_entropy(lv, gamma, t)), float(q.entropy().sum()), rel_tol=1e-8)
    assert math.isclose(float(tree_kl(mu, lv, gamma, rho, t)), float(kl_divergence(q, p).sum()), rel_tol=1e-8)

def test_bp_is_exact(setup):
    g, t, _ = setup
    eta, lam, rho = torch.randn(9, 2, generator=g), torch.rand(9, 2, generator=g), torch.rand(9, 2, generator=g) * .9
    mean, var, gam = tree_gaussian_posterior(eta, lam, rho, t)
    Lp = tree_L(rho, t); S = torch.linalg.inv(torch.linalg.inv(Lp @ Lp.transpose(1, 2)) + torch.diag_embed(lam.T))
    sd = var.sqrt().T
    assert torch.allclose(sd[:, :, None] * tree_corr(gam, t) * sd[:, None, :], S, atol=1e-10)
    assert torch.allclose(mean.T, (S @ eta.T[..., None])[..., 0], atol=1e-10)

def test_mst_and_bad_trees(f64):
    w = torch.tensor([[0, 5, 1, 1], [5, 0, 4, 1], [1, 4, 0, 3], [1, 1, 3, 0]], dtype=torch.float64)
    t = max_spanning_tree(w)
    assert sorted(tuple(sorted(e)) for e in t.edges()) == [(0, 1), (1, 2), (2, 3)]
    with pytest.raises(ValueError, match='cycle'): tree_from_parent([1, 0])
    with pytest.raises(ValueError): tree_from_parent([0, 5])
