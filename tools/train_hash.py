"""Train every learned model 2 epochs on 200 synthetic 32 px cats (bf16 autocast) and print a hash of its
weights.

Run it under two checkouts to check that a refactor computes the same as before:

    PYTHONPATH=<checkout A> python tools/train_hash.py > a.txt;
    PYTHONPATH=<checkout B> python tools/train_hash.py > b.txt;
    diff a.txt b.txt

One line per model: name, a SHA-1 prefix of the weights, the last validation hole PSNR and training loss.
Single-threaded.
"""
import hashlib, torch, catvae
from catvae.core import build_model
from catvae.data import load_cats
from catvae.training import TrainConfig, train
torch.set_num_threads(1)
data = load_cats('synthetic', 32, n_max=200, progress=False)
small = dict(ch=8, max_ch=32)
for name, kw in [('unet', {}), ('vae', dict(z_ch=2, z_res=4)), ('avae', dict(z_ch=2, z_res=4)),
                 ('vae_gan', dict(z_ch=2, z_res=4)), ('treevi', dict(z_ch=2, z_res=4)),
                 ('treevi_coupled', dict(z_ch=2, z_res=4)),
                 ('vqvae', dict(grid=4, n_codes=16, code_dim=4, prior_dim=16))]:
    torch.manual_seed(0); net = build_model(name, 32, **small, **kw)
    h = train(net, data, TrainConfig(epochs=2, batch_size=32, lr=3e-3, device='cpu', seed=0, cpu_bf16=True,
                                     log_every=1), progress=False)
    sd = net.state_dict()
    hsh = hashlib.sha1(b''.join(sd[k].detach().float().contiguous().numpy().tobytes()
                                for k in sorted(sd))).hexdigest()[:12]
    print(name, hsh, round(float(h[h.split == 'val'].hole_psnr.iloc[-1]), 6),
          round(float(h[h.split == 'train'].loss.iloc[-1]), 6))
