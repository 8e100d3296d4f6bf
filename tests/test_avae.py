"Fast checks of catvae.avae: both registered models, the output contract, alternating updates, determinism, resume."
import torch
import pytest
from catvae.core import ModelOutput, MODEL_REGISTRY, build_model
from catvae.avae import AuxVAE, AuxVAEConfig, AdvAVAE, AdvAVAEConfig, latent_consistency

AUX = dict(size=32, z_dim=8, a_dim=4, hidden=16, ch=8)
ADV = dict(size=32, z_dim=8, xi_dim=8, ch=8, g_ch=8, d_ch=8)

def _models():
    torch.manual_seed(0)
    return [AuxVAE(AuxVAEConfig(**AUX)), AdvAVAE(AdvAVAEConfig(**ADV))]

def test_registered_and_built():
    assert MODEL_REGISTRY['avae'][0] is AuxVAE and MODEL_REGISTRY['avae_adv'][0] is AdvAVAE
    a = build_model('avae', 32, z_dim=8, a_dim=4, ch=8)
    b = build_model('avae_adv', 32, z_dim=8, xi_dim=8, ch=8, g_ch=8, d_ch=8)
    assert isinstance(a, AuxVAE) and a.cfg.a_dim == 4 and isinstance(b, AdvAVAE) and b.cfg.g_ch == 8
    with pytest.raises(ValueError): AdvAVAEConfig(sample_from='x')

@pytest.mark.parametrize('i', [0, 1])
def test_forward_contract(i, batch):
    net = _models()[i]; x, m = batch
    out = net(x, m)
    assert isinstance(out, ModelOutput) and out.loss.dim() == 0 and torch.isfinite(out.loss)
    assert out.recon.shape == x.shape
    for k in ('rec_hole', 'rec_ctx', 'kl', 'nelbo'): assert k in out.terms
    net.eval()
    y = net.inpaint(x * (1 - m), m)
    assert y.shape == x.shape and 0 <= float(y.min()) and float(y.max()) <= 1
    assert net.sample_inpaint(x, m, 3).shape == (3, *x.shape)
    st = net.summary_stats(x, m)
    assert all(isinstance(v, (int, float)) for v in st.values())

@pytest.mark.parametrize('i', [0, 1])
def test_hole_pixels_never_seen(i, batch):
    net = _models()[i].eval(); x, m = batch
    x2 = torch.where(m.bool(), torch.rand_like(x), x)
    assert torch.equal(net.inpaint(x, m), net.inpaint(x2, m))
    torch.manual_seed(3); a = net.sample_inpaint(x, m, 2)
    torch.manual_seed(3); b = net.sample_inpaint(x2, m, 2)
    assert torch.equal(a, b)

def test_adv_train_step_deterministic_and_alternating(batch):
    def run():
        torch.manual_seed(0); net = AdvAVAE(AdvAVAEConfig(**ADV)); x, m = batch
        opts = net.configure_optimizers(1e-3)
        outs = [net.train_step(x, m, opts, i) for i in range(3)]
        return net, outs
    (a, oa), (b, ob) = run(), run()
    for k, v in a.state_dict().items(): assert torch.equal(v, b.state_dict()[k]), k
    assert {'d_loss', 'g_adv', 'lat'} <= set(oa[-1].terms)
    assert all(p.requires_grad for p in a.parameters())

def test_latent_consistency_weights():
    z, mu = torch.zeros(2, 3), torch.ones(2, 3)
    assert torch.allclose(latent_consistency(z, mu, torch.zeros(2, 3)), torch.full((2,), 1.5))
    lv = torch.tensor([[-20., 0., 0.]]).expand(2, 3)
    assert torch.allclose(latent_consistency(z, mu * torch.tensor([0., 1., 1.]), lv), torch.zeros(2), atol=1e-6)

@pytest.mark.parametrize('i', [0, 1])
def test_bf16_autocast(i, batch):
    net = _models()[i]; x, m = batch
    with torch.autocast('cpu', dtype=torch.bfloat16):
        if hasattr(net, 'train_step'): out = net.train_step(x, m, net.configure_optimizers(1e-3), 0)
        else: out = net(x, m)
        y = net.inpaint(x, m)
    assert torch.isfinite(out.loss) and y.shape == x.shape

@pytest.mark.parametrize('name', ['avae', 'avae_adv'])
def test_trainer_resumes_exactly(name, tmp_path):
    from catvae.data import load_cats
    from catvae.training import TrainConfig, train
    data = load_cats('synthetic', 32, n_max=80, progress=False)
    kw = AUX if name == 'avae' else ADV
    def fresh():
        torch.manual_seed(0); return build_model(name, **kw)
    a = fresh(); train(a, data, TrainConfig(epochs=2, batch_size=16, device='cpu'), tmp_path / 'a', progress=False)
    b = fresh(); train(b, data, TrainConfig(epochs=1, batch_size=16, device='cpu'), tmp_path / 'b', progress=False)
    c = fresh(); train(c, data, TrainConfig(epochs=2, batch_size=16, device='cpu'), tmp_path / 'b', progress=False)
    for k, v in a.state_dict().items(): assert torch.equal(v, c.state_dict()[k]), k
