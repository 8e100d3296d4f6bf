#!/usr/bin/env python
"""Where one training step and one scoring pass spend their CPU time, by torch operator (torch.profiler), in fp32
and under bf16 autocast: convolutions (oneDNN), their backward, normalisation, element-wise work, the optimiser.

    python benchmarks/torch_profile.py                       # vae, batch 32 train / 256 scored, 64 px (smoke settings)
    python benchmarks/torch_profile.py --model unet --rows 8
"""
import argparse, json, time
import torch
from torch.profiler import profile, ProfilerActivity
from catvae.core import build_model, machine_facts
from catvae.masking import make_masks
from catvae.training import configure_optimizers, default_step

def top(prof, rows: int) -> list:
    "The `rows` operators with the most self CPU time: (name, ms, share of the total)."
    ev = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    total = sum(e.self_cpu_time_total for e in ev) or 1
    return [(e.key, round(e.self_cpu_time_total / 1e3, 1), round(e.self_cpu_time_total / total, 3)) for e in ev[:rows]]

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', default='vae')
    ap.add_argument('--batch-size', type=int, default=32)
    ap.add_argument('--score-batch', type=int, default=256)
    ap.add_argument('--rows', type=int, default=10)
    a = ap.parse_args()
    torch.manual_seed(0); g = torch.Generator().manual_seed(0)
    x, m = torch.rand(a.batch_size, 3, 64, 64), make_masks('mixed', a.batch_size, 64, g)
    xs, ms = torch.rand(a.score_batch, 3, 64, 64), make_masks('box', a.score_batch, 64, g)
    out = {}
    for bf16 in (False, True):
        net = build_model(a.model, 64).train(); opts = configure_optimizers(net, 1e-3)
        amp = lambda: torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16)
        with amp(): default_step(net, x, m, opts, 0)                                    # warm-up
        t0 = time.perf_counter()
        with profile(activities=[ProfilerActivity.CPU]) as p_train:
            with amp(): default_step(net, x, m, opts, 0)
        t_train = time.perf_counter() - t0
        net.eval()
        with torch.no_grad(), amp(): net.inpaint(xs * (1 - ms), ms)                     # warm-up
        t0 = time.perf_counter()
        with profile(activities=[ProfilerActivity.CPU]) as p_score, torch.no_grad(), amp():
            net.inpaint(xs * (1 - ms), ms)
        t_score = time.perf_counter() - t0
        key = 'bf16' if bf16 else 'fp32'
        out[key] = {'train_step_s': round(t_train, 3), 'score_s': round(t_score, 3),
                    'train_top': top(p_train, a.rows), 'score_top': top(p_score, a.rows)}
        print(f"\n{a.model}, {key}: one training step of {a.batch_size} images {t_train:.3f} s (profiled), "
              f"inpainting {a.score_batch} images {t_score:.3f} s")
        for what, rows in (('train', out[key]['train_top']), ('score', out[key]['score_top'])):
            print(f"  {what}: " + '; '.join(f"{n} {ms} ms ({s:.0%})" for n, ms, s in rows))
    print(json.dumps({'machine': machine_facts('cpu'), 'model': a.model, **out}))

if __name__ == '__main__':
    main()
