#!/usr/bin/env python
"""Where a training step's time goes: drawing the batch's masks vs the model's own step.

For each model of a config (default unet and vae of `full`), at each batch size:
* `masks ms`: drawing one batch of 'mixed' training masks on the device (`make_masks`), alone;
* `step img/s (fresh masks)`: the trainer's path, `device_batches` (fresh masks every batch) + `default_step`;
* `step img/s (fixed masks)`: the same steps with masks drawn once beforehand and reused;
* `step img/s (bank)`: the trainer's path with a `MaskBank` of `--bank` masks (drawn once, served under symmetries
  and shifts), and `bank ms`, serving one batch from it;
the ratio of fresh to fixed is what drawing the masks costs the trainer, bank to fresh what the bank saves.
bf16 autocast on CUDA (and on the CPU with `--cpu-bf16`), channels_last on CUDA.

    python benchmarks/step_profile.py --device cuda                 # full config, batch 256 and 1024
    python benchmarks/step_profile.py --config smoke --device cpu --batch-sizes 32 --steps 5
    python benchmarks/step_profile.py --config smoke --device cpu --batch-sizes 32 --steps 20 --cpu-bf16 --bank 4096
"""
import argparse, json, time
import torch
from catvae.core import build_model, get_device, seed_everything, machine_facts
from catvae.data import load_cats
from catvae.masking import make_masks, MaskBank
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
    ap.add_argument('--bank', type=int, default=4096, help='masks in the bank (0: no bank rows)')
    ap.add_argument('--cpu-bf16', action='store_true', help='bf16 autocast on the CPU too')
    a = ap.parse_args()
    cfg, dev = load_config(a.config), get_device(a.device)
    amp = torch.autocast(dev.type, dtype=torch.bfloat16, enabled=dev.type == 'cuda' or a.cpu_bf16)
    data = load_cats('shared', 64, n_max=a.n_images, progress=False)
    x_dev = data.train.to(dev)
    rows = []
    for bs in map(int, a.batch_sizes.split(',')):
        g = torch.Generator().manual_seed(0)
        masks_s = timed(lambda: make_masks('mixed', bs, 64, g, dev), a.steps, dev)
        bank = MaskBank('mixed', a.bank, 64, torch.Generator().manual_seed(1), dev) if a.bank else None
        bank_s = timed(lambda: bank.draw(bs, g), a.steps, dev) if bank else float('nan')
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
            def batches_bank():
                while True: yield from device_batches(x_dev, bs, g, 'mixed', bank=bank)
            it_bank = batches_bank()
            def banked():
                x, m = next(it_bank)
                with amp: default_step(model, x, m, opts, 0)
            t_fresh, t_fixed = timed(fresh, a.steps, dev), timed(fixed, a.steps, dev)
            t_bank = timed(banked, a.steps, dev) if bank else float('nan')
            row = {'model': name, 'batch': bs, 'masks_ms': round(masks_s * 1e3, 2), 'bank_ms': round(bank_s * 1e3, 2),
                   'fresh_img_s': round(bs / t_fresh, 1), 'fixed_img_s': round(bs / t_fixed, 1), 'bank_img_s': round(bs / t_bank, 1),
                   'mask_share': round(1 - t_fixed / t_fresh, 3), 'bank_speedup': round(t_fresh / t_bank, 3)}
            rows.append(row); print(row, flush=True)
    print(json.dumps({'machine': machine_facts(dev), 'bf16': dev.type == 'cuda' or a.cpu_bf16, 'bank': a.bank, 'rows': rows}))

if __name__ == '__main__':
    main()
