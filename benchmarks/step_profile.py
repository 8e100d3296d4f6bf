#!/usr/bin/env python
"""Where a training step's time goes: drawing the batch's masks vs the model's own step.

For each model of a config (default unet and vae of `full`), at each batch size:
* `masks ms`: drawing one batch of 'mixed' training masks on the device (`make_masks`), alone;
* `step img/s (fresh masks)`: the trainer's path, `device_batches` (fresh masks every batch) + `default_step`;
* `step img/s (fixed masks)`: the same steps with masks drawn once beforehand and reused;
the ratio of the last two is what drawing the masks costs the trainer. bf16 autocast and channels_last on CUDA.

    python benchmarks/step_profile.py --device cuda                 # full config, batch 256 and 1024
    python benchmarks/step_profile.py --config smoke --device cpu --batch-sizes 32 --steps 5
"""
import argparse, json, time
import torch
from catvae.core import build_model, get_device, seed_everything, machine_facts
from catvae.data import load_cats
from catvae.masking import make_masks
from catvae.training import device_batches, configure_optimizers, default_step
from catvae.config import load_config

def sync(dev):
    if dev.type == 'cuda': torch.cuda.synchronize()

def timed(fn, n, dev, warmup=3):
    for _ in range(warmup): fn()
    sync(dev); t0 = time.perf_counter()
    for _ in range(n): fn()
    sync(dev); return (time.perf_counter() - t0) / n

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--config', default='full')
    ap.add_argument('--models', default='unet,vae')
    ap.add_argument('--device', default='auto')
    ap.add_argument('--batch-sizes', default='256,1024')
    ap.add_argument('--steps', type=int, default=20)
    ap.add_argument('--n-images', type=int, default=3000)
    a = ap.parse_args()
    cfg, dev = load_config(a.config), get_device(a.device)
    amp = torch.autocast(dev.type, dtype=torch.bfloat16, enabled=dev.type == 'cuda')
    data = load_cats('shared', 64, n_max=a.n_images, progress=False)
    x_dev = data.train.to(dev)
    rows = []
    for bs in map(int, a.batch_sizes.split(',')):
        g = torch.Generator().manual_seed(0)
        masks_s = timed(lambda: make_masks('mixed', bs, 64, g, dev), a.steps, dev)
        for name in a.models.split(','):
            seed_everything(0); model = build_model(name, 64, **cfg['models'][name].get('model_kwargs', {})).to(dev).train()
            if dev.type == 'cuda': model.to(memory_format=torch.channels_last)
            opts = configure_optimizers(model, 1e-3)
            def batches():
                while True: yield from device_batches(x_dev, bs, g, 'mixed')
            it = batches()
            def fresh():
                x, m = next(it)
                with amp: default_step(model, x, m, opts, 0)
            fixed_m = make_masks('mixed', bs, 64, g, dev)
            def fixed():
                x, _ = next(it_fixed)
                with amp: default_step(model, x, fixed_m, opts, 0)
            def batches_nomask():   # the same images, no mask drawing
                while True:
                    perm = torch.randperm(len(x_dev), generator=g)
                    for i in range(0, len(x_dev) - bs + 1, bs): yield x_dev.index_select(0, perm[i:i + bs].to(dev)).float().div_(255), None
            it_fixed = batches_nomask()
            t_fresh, t_fixed = timed(fresh, a.steps, dev), timed(fixed, a.steps, dev)
            row = {'model': name, 'batch': bs, 'masks_ms': round(masks_s * 1e3, 2), 'fresh_img_s': round(bs / t_fresh, 1),
                   'fixed_img_s': round(bs / t_fixed, 1), 'mask_share': round(1 - t_fixed / t_fresh, 3)}
            rows.append(row); print(row, flush=True)
    print(json.dumps({'machine': machine_facts(dev), 'rows': rows}))

if __name__ == '__main__':
    main()
