#!/usr/bin/env python
"""The VQ-VAE's two fills on each run's validation images
(the first N of each protocol, with the evaluation masks): the prior fill (what `inpaint` scores) against the
deterministic decode (every hole code unknown), per image, for each seed's trained run; nothing is trained.
Beside them, the decode of the images' own hole codes (`inpaint_codes`: it reads the hole, so it is no
inpainter): the true-code reference, what a perfect code predictor would give with this decoder (a reference,
not a bound).

    python tools/vq_fill_check.py runs/smoke/vqvae runs/smoke-seed1/vqvae runs/smoke-seed2/vqvae  # [--n 200]

`--n N` scores the first N validation images of every protocol (default 200; at most the run's validation
split). A design choice is made on validation images, never on the test set: this tool does not read the test
images. `--any-version` also loads runs trained by an earlier version of the vqvae code (version 2 decodes as
version 3 does: only the training changed; version 1 decoded otherwise). Each run is scored in the precision
its study scored it in (`scored_in` in params.json: bf16 autocast or fp32).

Prints, per run, the three means, the paired differences prior - det and true codes - det with a 95% interval
that resamples validation images (all protocols of an image together), then, over several seeds, the study's
verdict procedure (`catvae.stats.compare_runs`: seeds and images together, each question on its own).
"""
import argparse, json
from pathlib import Path
import numpy as np
import pandas as pd
import torch
from catvae.inpaint import load_trained, RunError
from catvae.data import load_cats, DataSourceError
from catvae.evaluation import evaluate_model, AutocastModel
from catvae.masking import eval_masks, EVAL_SEED
from catvae.vqvae import true_code_psnr
from catvae.stats import paired_diff, compare_runs

def fills(run: Path, n: int, any_version: bool = False) -> pd.DataFrame:
    net, par = load_trained(run, any_version=any_version)
    data = load_cats(par['source'], par['size'], n_max=par.get('n_images') or None, seed=par.get('seed', 0),
                     progress=False)
    prots = (par['eval_protocols'].split(',') if isinstance(par['eval_protocols'], str)
             else par['eval_protocols'])
    scorer = AutocastModel.as_scored(net, par)   # in the precision the run was scored in
    out = []
    for mode in ('prior', 'det'):
        net.cfg.inpaint_mode = mode
        with torch.no_grad():
            df = evaluate_model(scorer, data.val, prots, n_eval=min(n, len(data.val)), progress=False)
        out.append(df.assign(model=mode))
    x = data.val[:min(n, len(data.val))]
    # one batch per protocol: the most frequent code is counted over all its images
    with torch.no_grad():
        acc = [scorer.masked_code_accuracy(x.float() / 255,
                                           eval_masks(p, len(x), x.shape[-1], seed=EVAL_SEED))
               for p in prots]
    print(f"{run}: the prior's accuracy on the masked hole codes {np.mean([a['code_acc'] for a in acc]):.3f} "
          f"(the most frequent code's share {np.mean([a['code_majority'] for a in acc]):.3f}), "
          f"mean over {len(prots)} protocols")
    # the true-code rows: the same images and masks
    out.append(pd.concat([
        pd.DataFrame({'protocol': p, 'image': np.arange(len(x)), 'model': 'true',
                      'hole_psnr': true_code_psnr(scorer, x,
                                                  eval_masks(p, len(x), x.shape[-1], seed=EVAL_SEED))})
        for p in prots]))
    return pd.concat(out, ignore_index=True)

def _check(run: Path) -> Path:
    "A finished vqvae run folder, or a one-line exit."
    try: par = json.loads((run / 'params.json').read_text())
    except (OSError, ValueError):
        raise SystemExit(f"vq_fill_check: not a run folder: {run} (e.g. runs/smoke/vqvae)")
    if par.get('model') != 'vqvae':
        raise SystemExit(f"vq_fill_check: {run} is a {par.get('model')} run, not a vqvae run")
    return run

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('runs', nargs='+', type=Path, help='vqvae run folders, one per seed')
    ap.add_argument('--n', type=int, default=200, help='the first N validation images of every protocol')
    ap.add_argument('--any-version', action='store_true',
                    help='also runs trained by an earlier version of the vqvae code')
    a = ap.parse_args()
    if a.n < 1: ap.error(f"--n must be at least 1, got {a.n}")
    runs, n = [_check(r) for r in a.runs], a.n
    torch.manual_seed(0)
    pers = []   # per seed: the three fills' per-image scores
    for r in runs:
        try: per = fills(r, n, a.any_version)
        except (RunError, DataSourceError) as e: raise SystemExit(f"vq_fill_check: {r}: {e}")
        d, c = paired_diff(per, 'prior', 'det'), paired_diff(per, 'true', 'det')
        means = per.groupby('model').hole_psnr.mean()
        print(f"{r} (first {per.image.nunique()} validation images x {per.protocol.nunique()} protocols): "
              f"prior fill {means['prior']:.3f} dB, deterministic decode {means['det']:.3f} dB, "
              f"prior - det {d[0]:+.3f} [{d[1]:+.3f}, {d[2]:+.3f}]; true codes {means['true']:.3f} dB, "
              f"true - det {c[0]:+.3f} [{c[1]:+.3f}, {c[2]:+.3f}]")
        pers.append(per.assign(seed=str(r)))
    if len(runs) > 1:   # each question alone (unadjusted), over seeds and validation images
        per = pd.concat(pers, ignore_index=True)
        for a_, what in (('prior', 'prior fill'), ('true', 'the true-code reference')):
            r = compare_runs(per, [(a_, 'det', what)]).iloc[0]
            print(f"over {r.n_seeds} seeds and {r.n_images} images: {what} - det {r['diff']:+.3f} "
                  f"[{r.low:+.3f}, {r.high:+.3f}] dB, {r.verdict}")
