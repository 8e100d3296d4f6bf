"Fast checks of the VAE family on the conditional backbone: vqvae, avae, avae_adv, treevi, treevi_coupled (the notebooks 12-16 have the lessons)."
import math
import pytest
import torch
from catvae.core import ModelOutput, MODEL_REGISTRY, build_model
from catvae.training import default_step

SMALL = dict(size=32, ch=8, max_ch=32)
KW = {'vqvae': dict(SMALL, grid=8, n_codes=16, code_dim=4, prior_dim=16, decode_steps=3),
      'avae': dict(SMALL, z_ch=4, a_ch=4), 'avae_adv': dict(SMALL, z_ch=4, d_ch=8),
      'treevi': dict(SMALL, z_ch=2, z_res=4, gamma_hidden=8), 'treevi_coupled': dict(SMALL, z_ch=2, z_res=4, gamma_hidden=8)}
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

@pytest.mark.parametrize('name', ['avae', 'avae_adv', 'treevi', 'treevi_coupled'])
def test_hole_likelihood_is_a_probability_and_batch_independent(name, batch):
    net = _build(name).eval(); x, m = batch
    xq = (x * 255).round() / 255
    other = torch.cat([xq[:2], xq[2:].flip(-1)])                       # the same first two images, other company
    torch.manual_seed(0); ll = net.hole_log_likelihood(xq, m, k=4)
    torch.manual_seed(0); ll2 = net.hole_log_likelihood(other, m, k=4)
    assert (ll <= 0).all() and torch.allclose(ll[:2], ll2[:2], rtol=1e-5) and not torch.allclose(ll[2:], ll2[2:])
    assert torch.allclose(net.inpaint(other, m)[:2], net.inpaint(xq, m)[:2], atol=1e-5)

def test_avae_adv_differs_from_vae_and_equals_it_without_the_adversary(batch):
    "Same seed, three steps: lambda = 0 must reproduce vae exactly (the discriminator touches nothing else), lambda > 0 must not."
    from catvae.vae import VAE, VAEConfig
    from catvae.avae_adv import AdvVAE, AdvVAEConfig
    x, m = batch; kw = dict(SMALL, z_ch=4)
    def three(net, adv):
        opts = net.configure_optimizers(1e-3) if adv else [torch.optim.Adam(net.parameters(), 1e-3)]
        for i in range(3):
            torch.manual_seed(100 + i)
            net.train_step(x, m, opts, i) if adv else default_step(net, x, m, opts, i, net.cfg.grad_clip)
        net.eval(); return net.inpaint(x * (1 - m), m)
    torch.manual_seed(0); ref = three(VAE(VAEConfig(**kw)), False)
    torch.manual_seed(0); same = three(AdvVAE(AdvVAEConfig(**kw, adv_weight=0.)), True)
    torch.manual_seed(0); diff = three(AdvVAE(AdvVAEConfig(**kw, adv_weight=0.5)), True)
    assert torch.allclose(same, ref, atol=1e-5)
    assert (diff - ref).abs().max() > 1e-4
    with pytest.raises(ValueError, match='gsnn'): AdvVAEConfig(gsnn=0.)

def test_avae_adv_discriminator_only_in_its_own_step(batch):
    net = _build('avae_adv'); x, m = batch
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
    net.train_step(x, m, opts, 0, 10); e1 = net.vq.embed.clone(); w1 = net.code_enc[1].weight.detach().clone()
    out = net.train_step(x, m, opts, 5, 10)
    assert float(out.terms['stage']) == 2 and torch.equal(net.vq.embed, e1) and torch.equal(net.code_enc[1].weight, w1)
    net.eval()
    assert not torch.equal(net.inpaint_prior(x, m), net.inpaint_det(x, m))

@pytest.mark.parametrize('name', ['vqvae', 'avae_adv', 'treevi'])
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
