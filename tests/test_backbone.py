"The shared backbone, `unet` and the conditional VAE: likelihood, KL, conditioning, the trainer's schedule and gradient log."
import math
import pytest, torch
from catvae.core import MODEL_REGISTRY, ModelOutput, build_model
from catvae.backbone import (push_pull_fill, biharmonic_refine, _laplacian, discretized_logistic_logp, kl_normal, per_dim_objective, hole_dims,
                             bits_per_hole_dim, UNet)
from catvae.vae import VAE
from catvae.training import TrainConfig, train, lr_factor
from catvae.evaluation import hole_bits_per_dim, sample_metrics
from catvae.data import load_cats
from catvae.masking import eval_masks

KW = dict(ch=8, max_ch=32)

def _batch(n=4, size=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 256, (n, 3, size, size), generator=g).float() / 255     # 8-bit values
    m = torch.zeros(n, 1, size, size); m[..., 6:22, 4:20] = 1
    return x, m

def test_registered_and_contract():
    assert MODEL_REGISTRY['unet'][0] is UNet and MODEL_REGISTRY['vae'][0] is VAE
    x, m = _batch()
    for net in (build_model('unet', 32, **KW), build_model('vae', 32, **KW, z_ch=4)):
        out = net(x, m)
        assert isinstance(out, ModelOutput) and out.loss.dim() == 0 and math.isfinite(out.loss.item())
        assert net.inpaint(x * (1 - m), m).shape == x.shape
        ll = net.hole_log_likelihood(x, m, 4)
        assert ll.shape == (4,) and (ll <= 0).all()            # a probability of the 8-bit hole pixels

def test_discretized_logistic_is_a_distribution_over_256_values():
    ks = torch.arange(256.) / 255
    for mu, ls in [(0., -4.), (0.5, -2.), (1.2, -5.), (0.3, 1.)]:
        p = discretized_logistic_logp(ks, torch.full_like(ks, mu), torch.full_like(ks, ls)).exp()
        assert abs(p.sum().item() - 1) < 1e-4

def test_kl_matches_torch_distributions_and_zero_for_equal():
    g = torch.Generator().manual_seed(1)
    mq, lq, mp, lp = (torch.randn(3, 10, generator=g) for _ in range(4))
    ref = torch.distributions.kl_divergence(torch.distributions.Normal(mq, (0.5 * lq).exp()),
                                            torch.distributions.Normal(mp, (0.5 * lp).exp())).sum(-1)
    assert torch.allclose(kl_normal(mq, lq, mp, lp), ref, atol=1e-4)
    assert torch.allclose(kl_normal(mq, lq, mq, lq), torch.zeros(3), atol=1e-6)

def test_prior_sees_only_the_context_posterior_sees_the_hole():
    torch.manual_seed(0)
    vae = build_model('vae', 32, **KW, z_ch=4).eval()
    x, m = _batch()
    x2 = torch.where(m.bool(), torch.rand_like(x), x)
    with torch.no_grad():
        h1, h2 = (vae.latent_features(vae.context(a, m)[1]) for a in (x, x2))
        assert torch.equal(vae.heads.p(h1)[0], vae.heads.p(h2)[0])
        assert not torch.allclose(vae.heads.q(h1, x, m)[0], vae.heads.q(h2, x2, m)[0])
        assert torch.equal(vae.inpaint(x, m), vae.inpaint(x2, m))          # the hole is never read at test time

def test_push_pull_keeps_known_pixels_and_beats_mean_fill_on_smooth_images():
    yy, xx = torch.meshgrid(torch.linspace(0, 1, 32), torch.linspace(0, 1, 32), indexing='ij')
    x = torch.stack([yy, xx, yy * xx])[None]
    m = torch.zeros(1, 1, 32, 32); m[..., 5:25, 9:30] = 1
    f = push_pull_fill(x * (1 - m), m)
    assert torch.equal(f * (1 - m), x * (1 - m))
    mean = (x * (1 - m)).sum((2, 3), keepdim=True) / (1 - m).sum()
    assert ((f - x).abs() * m).sum() < 0.2 * ((mean - x).abs() * m).sum()

def test_biharmonic_refine_lowers_the_thin_plate_energy_and_keeps_known_pixels():
    "Each CG step lowers sum (Laplacian u)^2 (it minimises it over the hole); a random image, per-image independence."
    torch.manual_seed(0)
    x = torch.nn.functional.interpolate(torch.rand(3, 3, 4, 4), 32, mode='bicubic', align_corners=True)  # smooth
    m = torch.zeros(3, 1, 32, 32)
    m[0, :, 4:28, 14:17] = 1; m[1, :, 8:20, 8:20] = 1                   # image 2 has no hole at all
    f0 = push_pull_fill(x * (1 - m), m)
    energy = lambda u: (_laplacian(u) ** 2).sum((1, 2, 3))
    e = [energy(biharmonic_refine(f0, m, n)) for n in (0, 1, 3, 10, 40)]
    assert all(bool((b <= a + 1e-4).all()) for a, b in zip(e, e[1:]))
    assert bool((e[-1][:2] < 0.97 * e[0][:2]).all())                 # it moves the fill
    u = biharmonic_refine(f0, m, 10)
    assert torch.equal(u * (1 - m), f0 * (1 - m)) and torch.equal(u[2], f0[2])
    assert torch.allclose(biharmonic_refine(f0[:1], m[:1], 10), u[:1], atol=1e-6)   # no mixing across images
    assert torch.equal(biharmonic_refine(f0, m, 0), f0)

def test_per_dim_objective_is_bits_per_hole_dim():
    x, m = _batch()
    nll = torch.tensor([100., 200., 300., 400.])
    assert torch.isclose(per_dim_objective(nll, m), nll.sum() / hole_dims(m).sum())
    assert torch.allclose(bits_per_hole_dim(nll, m), nll / (3 * 256 * math.log(2)))

def test_latent_changes_the_output():
    "The latent is wired into the decoder: other z, other output (a VAE whose z did nothing would equal the U-Net)."
    torch.manual_seed(0)
    vae = build_model('vae', 32, **KW, z_ch=4).eval()
    x, m = _batch()
    with torch.no_grad():
        fill, hs = vae.context(x, m)
        z = torch.randn(4, 4, 8, 8)
        assert not torch.allclose(vae.predict(fill, hs, z)[0], vae.predict(fill, hs, 3 * z)[0])
        s = vae.sample_inpaint(x, m, 3)
    assert s.shape == (3, *x.shape) and not torch.allclose(s[0], s[1])

def test_lr_schedule_warms_up_and_decays():
    f = [lr_factor(s, 200, 'cosine', 0.05) for s in range(200)]
    assert f[0] == pytest.approx(0.1) and max(f) == 1.0 and f[-1] < 1e-3
    assert all(a >= b for a, b in zip(f[10:], f[11:]))         # monotone after the warm-up
    with pytest.raises(ValueError, match='schedule'): TrainConfig(schedule='steps')

def test_training_logs_grad_norm_lr_and_rarely_clips():
    data = load_cats('synthetic', 32, n_max=300, progress=False)
    torch.manual_seed(0)
    vae = build_model('vae', 32, **KW, z_ch=4)
    h = train(vae, data, TrainConfig(epochs=2, batch_size=16, lr=2e-3, device='cpu', log_every=4, schedule='cosine'), progress=False)
    tr = h[h.split == 'train']
    assert {'grad_norm', 'clipped', 'lr', 'nelbo_bpd', 'kl'} <= set(h.columns)
    assert tr.grad_norm.median() < vae.cfg.grad_clip and tr.clipped.mean() < 0.5
    assert tr.lr.iloc[-1] < tr.lr.max()
    val = h[h.split == 'val']
    assert val.nelbo_bpd.iloc[-1] < val.nelbo_bpd.iloc[0]
    masks = eval_masks('box', 8, 32)
    bpd = hole_bits_per_dim(vae, data.test[:8], masks, k=4)
    assert bpd.shape == (8,) and (bpd > 0).all()
    sm = sample_metrics(vae, data.test[:8], masks, k=3)
    assert (sm.best_of_k_psnr >= sm.sample_psnr - 1e-6).all()
