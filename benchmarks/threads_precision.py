#!/usr/bin/env python
"""Training-step throughput of the backbone models on this CPU at 1 and 2 (or more) threads, fp32 against bf16
autocast: whether bf16 pays here, and whether two runs side by side on one thread each could beat one run on all
cores (they do only when two threads give less than twice one thread's pace).

    python benchmarks/threads_precision.py                       # unet and vae, batch 32, 64 px (the smoke settings)
    python benchmarks/threads_precision.py --models vae --steps 10 --threads 1,2
"""
import argparse, json, os, time
import torch
from catvae.core import build_model, machine_facts, free_cores
from catvae.masking import make_masks
from catvae.training import configure_optimizers, default_step

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--models', default='unet,vae')
    ap.add_argument('--batch-size', type=int, default=32)
    ap.add_argument('--steps', type=int, default=5, help='timed steps (the median is kept), after one warm-up step')
    ap.add_argument('--threads', default=None, help='thread counts to try, comma-separated (default: 1 and all cores)')
    a = ap.parse_args()
    threads = [int(t) for t in a.threads.split(',')] if a.threads else sorted({1, torch.get_num_threads()})
    free, cores = free_cores(), os.cpu_count() or 1
    if free < cores: print(f"warning: only {free} of {cores} cores are free: other work is running, and these timings "
                           "will not be those of this machine alone", flush=True)
    torch.manual_seed(0)
    x = torch.rand(a.batch_size, 3, 64, 64); m = make_masks('mixed', a.batch_size, 64, torch.Generator().manual_seed(0))
    rows = []
    for name in a.models.split(','):
        for th in threads:
            torch.set_num_threads(th)
            for bf16 in (False, True):
                net = build_model(name, 64).train(); opts = configure_optimizers(net, 1e-3); ts = []
                for _ in range(a.steps + 1):
                    t0 = time.perf_counter()
                    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16): default_step(net, x, m, opts, 0)
                    ts.append(time.perf_counter() - t0)
                ts = sorted(ts[1:])
                rows.append({'model': name, 'threads': th, 'bf16': bf16, 'img_s': round(a.batch_size / ts[len(ts) // 2], 1)})
                print(rows[-1], flush=True)
    print('\n| model | threads | fp32 img/s | bf16 img/s | bf16 / fp32 |\n|---|---:|---:|---:|---:|')
    for name in a.models.split(','):
        for th in threads:
            f, b = (next(r['img_s'] for r in rows if (r['model'], r['threads'], r['bf16']) == (name, th, v)) for v in (False, True))
            print(f"| {name} | {th} | {f} | {b} | {b / f:.2f} |")
    print(json.dumps({'machine': machine_facts('cpu'), 'free_cores_at_start': free, 'batch_size': a.batch_size, 'rows': rows}))

if __name__ == '__main__':
    main()
