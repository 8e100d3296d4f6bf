"Fast checks of the VAE family on the conditional backbone: vqvae, avae, vae_gan, treevi, treevi_coupled, treevi_grid (the notebooks 12-17 have the lessons)."
import math
import pytest
import torch
from catvae.core import ModelOutput, MODEL_REGISTRY, build_model
from catvae.training import default_step

SMALL = dict(size=32, ch=8, max_ch=32)
KW = {'vqvae': dict(SMALL, grid=8, n_codes=16, code_dim=4, prior_dim=16, decode_steps=3),
      'avae': dict(SMALL, z_ch=4, a_ch=4), 'vae_gan': dict(SMALL, z_ch=4, d_ch=8),
      'treevi': dict(SMALL, z_ch=2, z_res=4, gamma_hidden=8), 'treevi_coupled': dict(SMALL, z_ch=2, z_res=4, gamma_hidden=8),
      'treevi_grid': dict(SMALL, z_ch=2, z_res=4, gamma_hidden=8, gamma_init=.3, rho_init=.3)}
NAMES = list(KW)

def _build(name, **kw):
    torch.manual_seed(0); return build_model(name, **{**KW[name], **kw})

def _step(net, x, m, opts, i):
    return net.train_step(x, m, opts, i, 10) if hasattr(net, 'train_step') else default_step(net, x, m, opts, i, net.cfg.grad_clip)

@pytest.mark.parametrize('name', NAMES)
def test_contract_and_hole_pixels_never_read(name, batch):
    net = _build(name); x, m = batch
    out = net(x, m)
    assert isinstance(out, ModelOutput) and out.loss.dim() == 0 and torch.isfinite(out.loss) and out.recon.shape == x.shape
    net.eval()
    x2 = torch.where(m.bool(), torch.rand_like(x), x)                  # other content under the hole
    assert torch.equal(net.inpaint(x, m), net.inpaint(x2, m))
    torch.manual_seed(3); a = net.sample_inpaint(x, m, 2)
    torch.manual_seed(3); b = net.sample_inpaint(x2, m, 2)
    assert a.shape == (2, *x.shape) and torch.equal(a, b)
    st = net.summary_stats(x, m)
    assert all(isinstance(v, (int, float)) for v in st.values())

@pytest.mark.parametrize('name', NAMES)
def test_train_steps_deterministic_under_bf16(name, batch):
    def run():
        net = _build(name); x, m = batch
        opts = net.configure_optimizers(1e-3) if hasattr(net, 'configure_optimizers') else [torch.optim.Adam(net.parameters(), 1e-3)]
        with torch.autocast('cpu', dtype=torch.bfloat16):
            outs = [_step(net, x, m, opts, i) for i in range(3)]
        return net, outs
    (a, oa), (b, _) = run(), run()
    assert all(torch.isfinite(o.loss) for o in oa)
    for k, v in a.state_dict().items(): assert torch.equal(v, b.state_dict()[k]), k

@pytest.mark.parametrize('name', ['avae', 'vae_gan', 'treevi', 'treevi_coupled', 'treevi_grid'])
def test_hole_likelihood_is_a_probability_and_batch_independent(name, batch):
    net = _build(name).eval(); x, m = batch
    xq = (x * 255).round() / 255
    other = torch.cat([xq[:2], xq[2:].flip(-1)])                       # the same first two images, other company
    torch.manual_seed(0); ll = net.hole_log_likelihood(xq, m, k=4)
    torch.manual_seed(0); ll2 = net.hole_log_likelihood(other, m, k=4)
    assert (ll <= 0).all() and torch.allclose(ll[:2], ll2[:2], rtol=1e-5) and not torch.allclose(ll[2:], ll2[2:])
    assert torch.allclose(net.inpaint(other, m)[:2], net.inpaint(xq, m)[:2], atol=1e-5)

def test_avae_log_ratio_recomputed_with_torch_distributions(batch):
    "log q(a) + log q(z | a) - log p(z | c) - log p(a | x, z, c) at the draw, and its auxiliary part, from torch.distributions."
    from torch.distributions import Normal
    net = _build('avae'); x, m = batch
    h = net.latent_features(net.context(x, m)[1])
    st = net.latent(h, x, m)
    lp = lambda v, mu, lv: Normal(mu, (0.5 * lv).exp()).log_prob(v).flatten(1).sum(1)
    aux = lp(st['a'], st['mu_a'], st['logvar_a']) - lp(st['a'], st['mu_r'], st['logvar_r'])
    ref = lp(st['z'], st['mu_q'], st['logvar_q']) - lp(st['z'], st['mu_p'], st['logvar_p']) + aux
    assert torch.allclose(st['kl_extra'], aux, rtol=1e-4, atol=1e-3) and torch.allclose(st['log_ratio'], ref, rtol=1e-4, atol=1e-3)

def test_avae_iw_bound_tightens_with_k(batch):
    "The importance-weighted estimate over (a, z) rises with k on average and stays a log-probability."
    net = _build('avae').eval(); x, m = batch
    xq = (x * 255).round() / 255
    means = []
    for k in (1, 8, 64):
        torch.manual_seed(0); means.append(float(torch.stack([net.hole_log_likelihood(xq, m, k=k) for _ in range(4)]).mean()))
    assert means[0] < means[1] < means[2] <= 0, means

def test_tree_kl_under_a_conditional_prior_matches_the_dense_kl():
    "tree_kl on whitened statistics = KL between the two Gaussians in z-space, with a non-standard prior and rho != 0."
    from torch.distributions import MultivariateNormal, kl_divergence
    from catvae.tree import random_tree, tree_kl, tree_corr
    g = torch.Generator().manual_seed(0); B, D = 6, 3
    t = random_tree(B, g)
    mu_q, lv_q, mu_p, lv_p = (torch.randn(B, D, generator=g, dtype=torch.float64) for _ in range(4))
    gamma, rho = torch.rand(B, D, generator=g, dtype=torch.float64) * 1.6 - 0.8, torch.rand(D, generator=g, dtype=torch.float64) * 0.9
    sq, sp = (0.5 * lv_q).exp(), (0.5 * lv_p).exp()
    q = MultivariateNormal(mu_q.T, covariance_matrix=sq.T[:, :, None] * tree_corr(gamma, t) * sq.T[:, None, :])
    p = MultivariateNormal(mu_p.T, covariance_matrix=sp.T[:, :, None] * tree_corr(rho.expand(B, D), t) * sp.T[:, None, :])
    kl = tree_kl((mu_q - mu_p) / sp, lv_q - lv_p, gamma, rho, t)
    assert math.isclose(float(kl), float(kl_divergence(q, p).sum()), rel_tol=1e-9)

def test_coupled_tree_never_reads_a_hole_pixel(batch):
    net = _build('treevi_coupled'); x, m = batch
    x = torch.cat([x, x.flip(-1)]); m = torch.cat([m, m])               # 8 images: a tree with some structure
    x2 = torch.where(m.bool(), torch.rand_like(x), x)
    torch.manual_seed(0); a = net(x, m).extras['parent']
    torch.manual_seed(0); b = net(x2, m).extras['parent']
    assert torch.equal(a, b)

def test_vae_gan_differs_from_vae_and_equals_it_without_the_adversary(batch):
    "Same seed, three steps: lambda = 0 must reproduce vae exactly (the discriminator touches nothing else), lambda > 0 must not."
    from catvae.vae import VAE, VAEConfig
    from catvae.vae_gan import VAEGAN, VAEGANConfig
    x, m = batch; kw = dict(SMALL, z_ch=4)
    def three(net, adv):
        opts = net.configure_optimizers(1e-3) if adv else [torch.optim.Adam(net.parameters(), 1e-3)]
        for i in range(3):
            torch.manual_seed(100 + i)
            net.train_step(x, m, opts, i) if adv else default_step(net, x, m, opts, i, net.cfg.grad_clip)
        net.eval(); return net.inpaint(x * (1 - m), m)
    torch.manual_seed(0); ref = three(VAE(VAEConfig(**kw)), False)
    torch.manual_seed(0); same = three(VAEGAN(VAEGANConfig(**kw, adv_weight=0.)), True)
    torch.manual_seed(0); diff = three(VAEGAN(VAEGANConfig(**kw, adv_weight=0.5)), True)
    assert torch.allclose(same, ref, atol=1e-5)
    assert (diff - ref).abs().max() > 1e-4
    # at gsnn = 0 the critic still judges prior-drawn fills: the prior path is computed, and lambda = 0 is still vae
    kw0 = {**kw, 'gsnn': 0.}
    torch.manual_seed(0); ref0 = three(VAE(VAEConfig(**kw0)), False)
    torch.manual_seed(0); same0 = three(VAEGAN(VAEGANConfig(**kw0, adv_weight=0.)), True)
    torch.manual_seed(0); diff0 = three(VAEGAN(VAEGANConfig(**kw0, adv_weight=0.5)), True)
    assert torch.allclose(same0, ref0, atol=1e-5) and (diff0 - ref0).abs().max() > 1e-4

def test_vae_gan_discriminator_only_in_its_own_step(batch):
    net = _build('vae_gan'); x, m = batch
    opts = net.configure_optimizers(1e-3)
    d_ids = set(map(id, net.dis.parameters()))
    assert d_ids == {id(p) for g in opts[1].param_groups for p in g['params']}
    assert not d_ids & {id(p) for g in opts[0].param_groups for p in g['params']}
    out = net.train_step(x, m, opts, 0)
    assert {'d_loss', 'g_adv', 'nelbo_bpd'} <= set(out.terms)

def test_treevi_kl_is_mean_field_plus_tc_and_coupled_needs_a_context_tree(batch):
    from catvae.treevi import TreeVIConfig
    net = _build('treevi'); x, m = batch
    e = net(x, m).extras
    assert math.isclose(float(e['kl_extra'].detach().sum()), float(e['tc'].detach() * len(x)), rel_tol=1e-3, abs_tol=1e-4)
    assert float(e['tc']) >= 0
    with pytest.raises(ValueError, match='contexts alone'): TreeVIConfig(coupled=True, tree='elbo')
    cpl = _build('treevi_coupled'); out = cpl(x, m); out.loss.backward()
    assert cpl.rho_raw.grad.abs().sum() > 0 and 'rho_abs' in out.terms

def test_vqvae_stages_and_no_likelihood(batch):
    net = _build('vqvae'); x, m = batch
    assert not hasattr(net, 'hole_log_likelihood')
    opts = net.configure_optimizers(1e-3)
    net.train_step(x, m, opts, 0, 10)
    frozen = {k: v.clone() for k, v in net.state_dict().items() if k.startswith(('code_enc.', 'vq.'))}
    moving = {k: v.clone() for k, v in net.state_dict().items() if k.startswith(('prior.', 'net.'))}
    out = net.train_step(x, m, opts, round(net.cfg.freeze_at * 10), 10)   # the first step of stage 2
    assert float(out.terms['stage']) == 2
    assert all(torch.equal(v, net.state_dict()[k]) for k, v in frozen.items())           # stage 2: code encoder and codebook fixed
    assert sum(not torch.equal(v, net.state_dict()[k]) for k, v in moving.items()) > 10   # the prior and the backbone still learn
    with pytest.raises(ValueError, match='total'): net.train_step(x, m, opts, 0)
    from catvae.vqvae import VQVAEConfig
    with pytest.raises(ValueError, match='freeze_at'): VQVAEConfig(freeze_at=0.)
    for bad in ({'prior_steps': 1.5}, {'prior_steps': -1}, {'p_soft': 2.}, {'p_unknown': -0.1}):
        with pytest.raises(ValueError, match=next(iter(bad))): VQVAEConfig(**bad)

@pytest.mark.parametrize('name', ['vqvae', 'vae_gan', 'treevi', 'treevi_grid'])
def test_trainer_resumes_exactly(name, tmp_path):
    "Two epochs in one go equal one epoch, then a resume to two. (The stop after one epoch is a run of one epoch, whose total"
    " steps differ: vqvae's stage boundary depends on the total, so it stays in stage 1 here.)"
    from catvae.data import load_cats
    from catvae.training import TrainConfig, train
    data = load_cats('synthetic', 32, n_max=80, progress=False)
    if name == 'vqvae': _build = lambda n: globals()['_build'](n, freeze_at=1.0)
    else: _build = globals()['_build']
    a = _build(name); train(a, data, TrainConfig(epochs=2, batch_size=16, device='cpu'), tmp_path / 'a', progress=False)
    b = _build(name); train(b, data, TrainConfig(epochs=1, batch_size=16, device='cpu'), tmp_path / 'b', progress=False)
    c = _build(name); train(c, data, TrainConfig(epochs=2, batch_size=16, device='cpu'), tmp_path / 'b', progress=False)
    for k, v in a.state_dict().items(): assert torch.equal(v, c.state_dict()[k]), k

def test_likelihood_methods_come_together():
    "A model scores hole likelihoods (and their inference gap) only if it defines both methods, or neither."
    from catvae.core import build_model, MODEL_MODULES
    for name in MODEL_MODULES:
        net = build_model(name, 64)
        assert hasattr(net, 'hole_log_weights') == hasattr(net, 'hole_log_likelihood'), name


def test_treevi_grid_iw_bound_is_valid_and_tight_with_many_samples(batch):
    "The importance-weighted bound of treevi_grid lies above its ELBO (same draws) and grows with k, as a valid bound must."
    net = _build('treevi_grid').eval(); x, m = batch
    xq = (x * 255).round() / 255
    torch.manual_seed(0); w = net.hole_log_weights(xq, m, k=64)                      # (k, B)
    iw = torch.logsumexp(w, 0) - math.log(64)
    assert (iw >= w.mean(0) - 1e-4).all()                                             # IW bound >= ELBO
    small = torch.logsumexp(w[:4], 0) - math.log(4)
    assert iw.mean() >= small.mean() - 1e-3
    net.prior_pair = None                                                             # a planted bug: the prior's
    torch.manual_seed(0); w0 = net.hole_log_weights(xq, m, k=64)                      # correlations ignored
    assert not torch.allclose(w, w0)
