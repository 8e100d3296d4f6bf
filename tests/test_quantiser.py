"Fast checks of catvae.quantiser: codebook maintenance, restarts, the MaskGIT fill."
import torch
from catvae.quantiser import VectorQuantizerEMA, MaskedTokenPrior, fill_tokens, codebook_stats

def test_dead_code_restart():
    torch.manual_seed(0)
    vq = VectorQuantizerEMA(n_codes=4, code_dim=2).train()
    with torch.no_grad(): vq.embed[0] = torch.tensor([100., 100.])
    z = torch.randn(1, 2, 8, 8) * 0.1
    for _ in range(3): vq(z)
    assert vq.embed[0].abs().max() < 1 and int(vq.n_restarts) >= 1

def test_codebook_moves_only_when_updating():
    torch.manual_seed(0)
    vq = VectorQuantizerEMA(n_codes=8, code_dim=2, kmeans_init=False)
    z = torch.randn(2, 2, 4, 4)
    e0 = vq.embed.clone(); vq.eval(); vq(z)
    assert torch.equal(vq.embed, e0)
    vq.train(); vq(z)
    assert not torch.equal(vq.embed, e0)
    st = codebook_stats(torch.tensor([4., 4., 0., 0.]))
    assert abs(float(st['perplexity']) - 2) < 1e-5 and float(st['codes_used_frac']) == 0.5

def test_fill_tokens_fills_only_hole():
    torch.manual_seed(0)
    pri = MaskedTokenPrior(n_codes=16, grid=8, dim=16, ctx_dim=4).eval()
    ctx = torch.randn(2, 64, 4); hole = torch.zeros(2, 64, dtype=torch.bool); hole[:, 10:30] = True
    for sample in (False, True):
        out, p_rev = fill_tokens(pri, ctx, hole, steps=3, sample=sample)
        assert (out[hole] < 16).all() and (out[~hole] == 17).all() and (p_rev[hole] > 0).all()
