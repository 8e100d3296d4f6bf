"Fast checks of catvae.vqvae: contract, codebook maintenance, determinism, stop-gradient."
import torch
import pytest
from catvae.core import ModelOutput, MODEL_REGISTRY, build_model
from catvae.vqvae import VQVAE, VQVAEConfig, VectorQuantizerEMA, fill_tokens, hole_tokens, codebook_stats

CFG = dict(size=32, grid=8, hidden=16, n_codes=16, code_dim=8, prior_dim=16, n_res=1, decode_steps=3)

def test_registered_and_built():
    assert MODEL_REGISTRY['vqvae'][0] is VQVAE
    net = build_model('vqvae', 32, grid=8, hidden=16, n_codes=16, code_dim=8, prior_dim=16, n_res=1)
    assert net.cfg.size == 32 and net.cfg.n_codes == 16

def test_forward_contract(batch):
    torch.manual_seed(0)
    net = VQVAE(VQVAEConfig(**CFG)); x, m = batch
    out = net(x, m)
    assert isinstance(out, ModelOutput) and out.loss.dim() == 0 and torch.isfinite(out.loss)
    assert out.recon.shape == x.shape
    for k in ('rec_hole', 'rec_ctx', 'commit', 'prior_ce', 'perplexity', 'codes_used_frac'): assert k in out.terms
    net.eval()
    y = net.inpaint(x, m); assert y.shape == x.shape and 0 <= float(y.min()) and float(y.max()) <= 1
    assert net.sample_inpaint(x, m, 2).shape == (2, *x.shape)
    st = net.summary_stats(x, m)
    assert {'hole_psnr_det', 'hole_psnr_prior', 'perplexity', 'codes_used_frac'} <= set(st)
    assert all(isinstance(v, (int, float)) for v in st.values())

def test_inpaint_ignores_hole_pixels(batch):
    torch.manual_seed(0)
    net = VQVAE(VQVAEConfig(**CFG)).eval(); x, m = batch
    x2 = torch.where(m.bool(), torch.rand_like(x), x)   # different content under the hole
    assert torch.equal(net.inpaint(x, m), net.inpaint(x2, m))
    torch.manual_seed(1); a = net.inpaint_prior(x, m, sample=True)
    torch.manual_seed(1); b = net.inpaint_prior(x2, m, sample=True)
    assert torch.equal(a, b)

def test_codebook_updates_only_in_training_and_deterministically(batch):
    def run(seed):
        torch.manual_seed(seed); net = VQVAE(VQVAEConfig(**CFG)); x, m = batch
        opts = net.configure_optimizers(1e-3)
        for i in range(3): net.train_step(x, m, opts, i)
        return net
    a, b = run(0), run(0)
    for k, v in a.vq.state_dict().items(): assert torch.equal(v, b.vq.state_dict()[k]), k
    a.eval(); before = {k: v.clone() for k, v in a.vq.state_dict().items()}
    a(*batch); a.inpaint(*batch)
    for k, v in a.vq.state_dict().items(): assert torch.equal(v, before[k]), k

def test_prior_is_stop_gradient(batch):
    torch.manual_seed(0)
    net = VQVAE(VQVAEConfig(**CFG)); x, m = batch
    out = net(x, m)
    ce, _ = net.prior_loss(out.extras['idx'].flatten(1), out.extras['idx_full'].flatten(1), out.extras['hole_tokens'].flatten(1))
    ce.sum().backward()
    assert all(p.grad is None for p in [*net.encoder.parameters(), *net.decoder.parameters()])

def test_dead_code_restart():
    torch.manual_seed(0)
    vq = VectorQuantizerEMA(n_codes=4, code_dim=2).train()
    with torch.no_grad(): vq.embed[0] = torch.tensor([100., 100.])
    z = torch.randn(1, 2, 8, 8) * 0.1
    for _ in range(3): vq(z)
    assert vq.embed[0].abs().max() < 1 and int(vq.n_restarts) >= 1

def test_fill_tokens_fills_only_hole():
    torch.manual_seed(0)
    net = VQVAE(VQVAEConfig(**CFG)).eval()
    ctx = torch.randint(0, 16, (2, 64)); hole = torch.zeros(2, 64, dtype=torch.bool); hole[:, 10:30] = True
    out, p_rev = fill_tokens(net.prior, ctx, hole, steps=3, sample=True)
    assert (out[hole] < 16).all() and (out[~hole] == 17).all() and (p_rev[hole] > 0).all()

def test_bad_grid():
    with pytest.raises(ValueError, match='power of 2'): VQVAE(VQVAEConfig(size=64, grid=64))

@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_cuda_bf16_matches_cpu_codebook_draws(batch):
    torch.manual_seed(0); net = VQVAE(VQVAEConfig(**CFG)).cuda(); x, m = batch
    opts = net.configure_optimizers(1e-3)
    with torch.autocast('cuda', dtype=torch.bfloat16):
        out = net.train_step(x.cuda(), m.cuda(), opts, 0)
    assert torch.isfinite(out.loss) and net.vq.embed.dtype == torch.float32
