#!/usr/bin/env python
"""Scoring a trained run in fp32 against bf16 autocast on the CPU: time and scores of the three evaluation steps.

    python benchmarks/scoring_precision.py runs/smoke-seed1/vae          # [--n 1000] [--n-samples 200] [--k 32]

Loads the run's network, then on its test images (box masks) times, in fp32 and under `evaluation.AutocastModel`:
`evaluate_model`'s inpainting and metrics (the first `--n` images), `sample_metrics` (8 samples of the first
`--n-samples`) and, when the model has one, `hole_bits_per_dim` (k importance samples). Prints seconds and the
mean score of each. Not a test; run it alone (2 threads), the numbers go into the README with the machine.
"""
import argparse, time
import torch
from catvae.core import machine_facts
from catvae.inpaint import load_trained, RunError
from catvae.data import load_cats, DataSourceError
from catvae.masking import eval_masks, EVAL_SEED
from catvae.evaluation import AutocastModel, evaluate_model, sample_metrics, hole_bits_per_dim

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('run'); ap.add_argument('--n', type=int, default=1000)
    ap.add_argument('--n-samples', type=int, default=200); ap.add_argument('--k', type=int, default=32)
    a = ap.parse_args()
    try:
        net, par = load_trained(a.run)
        if not isinstance(net, torch.nn.Module) or not any(True for _ in net.parameters()): raise RunError(f"{a.run} is a classical fill ({par['model']}): nothing to score in two precisions")
        data = load_cats(par['source'], par['size'], n_max=par.get('n_images') or None, seed=par.get('seed', 0), progress=False)
    except (RunError, DataSourceError) as e: raise SystemExit(f"scoring_precision: {e}")
    x, xs = data.test[:a.n], data.test[:a.n_samples]
    ms = eval_masks('box', len(xs), par['size'], seed=EVAL_SEED)
    print(f"{a.run}: {machine_facts('cpu')}")
    for bf16 in (False, True):
        m = AutocastModel(net, enabled=bf16); name = 'bf16' if bf16 else 'fp32'
        torch.manual_seed(0); t = time.time()
        df = evaluate_model(m, x, ['box'], n_eval=len(x), progress=False)
        print(f"{name}: inpaint + metrics, {len(x)} images: {time.time() - t:.2f} s, hole PSNR {df.hole_psnr.mean():.4f}")
        if hasattr(m, 'sample_inpaint'):
            torch.manual_seed(0); t = time.time(); sm = sample_metrics(m, xs, ms, k=8)
            print(f"{name}: 8 samples of {len(xs)} images: {time.time() - t:.2f} s, best of 8 {sm.best_of_k_psnr.mean():.4f}")
        if hasattr(m, 'hole_log_likelihood'):
            torch.manual_seed(0); t = time.time(); b = hole_bits_per_dim(m, xs, ms, k=a.k)
            print(f"{name}: hole bits/dim (k = {a.k}) of {len(xs)} images: {time.time() - t:.2f} s, {b.mean():.4f}")
