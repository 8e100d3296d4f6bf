#!/usr/bin/env python
"""Print the README's result tables (markdown) from saved study folders; nothing is trained or evaluated.

    # one study: summary and per-protocol tables
    python tools/results_tables.py runs/smoke
    # several seeds: the per-seed and seed-level comparison tables as well
    python tools/results_tables.py runs/smoke runs/smoke-seed1 ...
"""
import functools, json, sys
from pathlib import Path
import numpy as np
import pandas as pd
from catvae.results import load_runs, load_seeds, study_comparisons
from catvae.stats import paired_diff, reference_runs, compare_runs

# each folder read (and its intervals bootstrapped) once for all its tables
_runs = functools.lru_cache(None)(load_runs)

def _best_classical(s: pd.DataFrame):
    """The best classical fill of a summary, chosen on validation as the study chooses it (`reference_runs`),
    or None."""
    return reference_runs(s).get('classical')

def _f(v, nd=2): return '-' if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{v:.{nd}f}"

def summary_table(root: Path) -> str:
    s, _, _ = _runs(root)
    rows = ['| model | hole PSNR (dB) [95% CI] | composite PSNR | SSIM | MS-SSIM | hole bits/dim '
            '| image bits/dim | params | train (s) | train img/s |',
            '|---|---|---|---|---|---|---|---|---|---|']
    for r in s.itertuples():
        met = json.loads((root / r.model / 'metrics.json').read_text())
        ips = met.get('train_images_per_s')
        rows.append(f"| {r.model} | {r.hole_psnr:.2f} [{r.hole_psnr_low:.2f}, {r.hole_psnr_high:.2f}] "
                    f"| {r.psnr:.2f} | {r.ssim:.3f} | {r.ms_ssim:.3f} "
                    f"| {_f(getattr(r, 'stat_hole_bpd', None), 3)} "
                    f"| {_f(getattr(r, 'stat_test_bpd', None), 3)} "
                    f"| {f'{r.n_params / 1e6:.2f} M' if r.n_params else '-'} "
                    f"| {f'{r.train_seconds:.0f}' if r.n_params else '-'} | {f'{ips:.0f}' if ips else '-'} |")
    return '\n'.join(rows)

def protocol_table(root: Path) -> str:
    s, per, _ = _runs(root)
    piv = per.pivot_table(index='model', columns='protocol', values='hole_psnr',
                          aggfunc='mean').loc[list(s.model)]
    frac = per.groupby('protocol').hole_frac.mean()
    cols = [c for c in ('box', 'thin', 'medium', 'thick', 'center', 'legacy') if c in piv]
    rows = ['| model | ' + ' | '.join(f'{c} ({100 * frac[c]:.0f}%)' for c in cols) + ' |',
            '|---|' + '---|' * len(cols)]
    rows += [f"| {m} | " + ' | '.join(f'{piv.loc[m, c]:.2f}' for c in cols) + ' |' for m in piv.index]
    return '\n'.join(rows)

def sample_table(root: Path, ref: str | None = None) -> str:
    """The k-sample statistics, with the model's own fill and the best classical fill `ref` (default: this
    folder's, on validation) on the same images (the first n_sample_images)."""
    s, per, _ = _runs(root)
    if 'sample_best_of_k_psnr' not in s: return '(no model with samples)'
    ref = ref or _best_classical(s)
    rows = [f'| model | images | inpaint | {ref} | mean of k | single sample | best of k | hole std '
            '| std-error corr. | KL (nats/image) |',
            '|---|---|---|---|---|---|---|---|---|---|']
    for r in s.dropna(subset=['sample_best_of_k_psnr']).itertuples():
        sm = pd.read_csv(root / r.model / 'samples.csv')
        n = int(sm.groupby('protocol').size().max())   # the first n test images of every protocol
        same = lambda m: per[(per.model == m) & (per.image < n)].hole_psnr.mean()
        rows.append(f"| {r.model} | {n} | {same(r.model):.2f} | {_f(same(ref)) if ref else '-'} "
                    f"| {sm.mean_of_k_psnr.mean():.2f} | {sm.sample_psnr.mean():.2f} "
                    f"| {sm.best_of_k_psnr.mean():.2f} | {sm.hole_std.mean():.3f} "
                    f"| {sm.std_err_corr.mean():.2f} | {_f(getattr(r, 'stat_kl_per_image', None), 1)} |")
    return '\n'.join(rows)

def raw_table(root: Path) -> str:
    """The seed project's protocol: PSNR/SSIM of the raw output (nothing pasted back) against the whole image,
    on the legacy square."""
    s, per, _ = _runs(root)
    if 'raw_psnr' not in per or per.raw_psnr.isna().all():
        return '(no raw-output metrics in these runs)'
    leg = per[per.protocol == 'legacy'] if (per.protocol == 'legacy').any() else per
    g = (leg.groupby('model')[['raw_psnr', 'raw_ssim', 'psnr', 'ssim']].mean()
         .loc[[m for m in s.model if m in set(leg.model)]])
    rows = ['| model | raw PSNR (dB) | raw SSIM | composite PSNR | composite SSIM |', '|---|---|---|---|---|']
    rows += [f"| {m} | {r.raw_psnr:.2f} | {r.raw_ssim:.3f} | {r.psnr:.2f} | {r.ssim:.3f} |"
             for m, r in g.iterrows()]
    return '\n'.join(rows)

def seeds_table(roots) -> str:
    per_seed = {}
    for root in roots:
        seed = json.loads((root / 'study.json').read_text())['defaults']['seed']
        s, per, _ = _runs(root)
        per_seed[seed] = (s.set_index('model'), per)
    seeds = sorted(per_seed)
    models = [m for m in per_seed[seeds[0]][0].index if all(m in per_seed[k][0].index for k in seeds)]
    first = per_seed[seeds[0]][0]
    # chosen on validation over the seeds, as the study does
    reference = _best_classical(load_seeds(roots)[0])
    rows = ['| model | ' + ' | '.join(f'seed {k}' for k in seeds)
            + f' | mean | minus {reference} per seed [95% CI over test images: one trained network each] '
            '| hole bits/dim per seed |',
            '|---|' + '---|' * (len(seeds) + 3)]
    for m in models:
        v = [per_seed[k][0].loc[m, 'hole_psnr'] for k in seeds]
        d = [paired_diff(per_seed[k][1], m, reference) for k in seeds] if m != reference else []
        bpd = [per_seed[k][0].loc[m].get('stat_hole_bpd', np.nan) for k in seeds]
        rows.append(f"| {m} | " + ' | '.join(f'{x:.2f}' for x in v) + f" | {np.mean(v):.2f} | "
                    + ('; '.join(f'{a:+.2f} [{lo:+.2f}, {hi:+.2f}]' for a, lo, hi in d) or '-') + ' | '
                    + (', '.join(f'{b:.3f}' for b in bpd) if np.isfinite(bpd).all() else '-') + ' |')
    return '\n'.join(rows)

def paired_table(root: Path) -> str:
    """One folder's questions (each learned run against the best classical fill, ...) as paired differences
    per protocol, intervals over images."""
    from catvae.results import comparison_pairs
    s, per, _ = _runs(root)
    prots = [c for c in ('box', 'thin', 'medium', 'thick', 'center', 'legacy') if c in set(per.protocol)]
    rows = ['| a - b | all protocols | ' + ' | '.join(prots) + ' |', '|---|---|' + '---|' * len(prots)]
    for a, b, _ in comparison_pairs(s):
        cells = [paired_diff(per, a, b)] + [paired_diff(per[per.protocol == p], a, b) for p in prots]
        rows.append(f"| {a} - {b} | "
                    + ' | '.join(f'{d:+.2f} [{lo:+.2f}, {hi:+.2f}]' for d, lo, hi in cells) + ' |')
    return '\n'.join(rows)

def curve_table(root: Path) -> str:
    """Validation hole PSNR after each epoch of every trained run, and the classical fills' score on the same
    images and masks."""
    s, _, _ = _runs(root)
    cols = {}
    for m in s.model:
        f = root / m / 'curves.csv'
        if f.exists():
            v = pd.read_csv(f).query("split == 'val'")
            cols[m] = v.set_index('epoch').hole_psnr
    if not cols: return '(no training curves)'
    t = pd.DataFrame(cols)
    rows = ['| epoch | ' + ' | '.join(t.columns) + ' |', '|---|' + '---|' * len(t.columns)]
    rows += [f'| {e} | ' + ' | '.join(_f(v) for v in r) + ' |' for e, r in t.iterrows()]
    ref = s[s.kind == 'classical'].dropna(subset=['val_hole_psnr']) if 'val_hole_psnr' in s else s.iloc[:0]
    return ('\n'.join(rows) + '\n\nSame validation images and masks: '
            + ', '.join(f'{r.model} {r.val_hole_psnr:.2f}' for r in ref.itertuples()))

def time_line(root: Path) -> str:
    "Each run's wall time from its status.json, and their sum."
    secs = {d.name: json.loads((d / 'status.json').read_text()).get('seconds')
            for d in sorted(root.iterdir()) if (d / 'status.json').exists()}
    secs = {k: v for k, v in secs.items() if v is not None}
    return ('Run times (status.json): ' + ', '.join(f'{k} {v:.0f} s' for k, v in secs.items())
            + f'; sum {sum(secs.values()):.0f} s')

def comparisons_table(roots) -> str:
    """The study's verdicts (`catvae seeds` prints the same): seeds and test images together, Bonferroni over
    the questions."""
    c = study_comparisons(roots)
    rows = ['| a - b | question | seeds x images | mean difference (dB) [interval of the verdict] '
            '| TOST interval | verdict | gap found at 80% | seeds for +-0.1 dB |',
            '|---|---|---|---|---|---|---|---|']
    rows += [f"| {r.a} - {r.b} | {r.question} | {r.n_seeds} x {r.n_images} | {r.diff:+.2f}"
             + (f" [{r.low:+.2f}, {r.high:+.2f}] | [{r.eq_low:+.2f}, {r.eq_high:+.2f}] | {r.verdict} | "
                f"{r.gap_80:.2f} | "
                f"{int(r.seeds_for_margin) if pd.notna(r.seeds_for_margin) else 'over 200'} |"
                if r.n_seeds > 1 else ' | - | inconclusive (one seed) | - | - |') for r in c.itertuples()]
    return '\n'.join(rows)

def aa_table(roots) -> str:
    """Each A/A pair's per-seed difference with its per-image interval: what the test-set bootstrap of one
    network would claim."""
    from catvae.results import comparison_pairs
    summary, _ = load_seeds(roots)
    rows = ['| A/A pair | per seed: difference [95% CI over test images] |', '|---|---|']
    for a, b, q in comparison_pairs(summary):
        if q.startswith('A/A'):
            d = [paired_diff(_runs(r)[1], a, b) for r in roots]
            rows.append(f"| {a} - {b} | "
                        + '; '.join(f'{x:+.2f} [{lo:+.2f}, {hi:+.2f}]' for x, lo, hi in d) + ' |')
    return '\n'.join(rows)

def family_table(roots, old: str = 'vae_global') -> str:
    """Per learned model over the seeds: the device of each run, hole PSNR, the margins over `old` and over
    the best classical fill (seeds and images together, 95% unadjusted: `compare_runs` of each question
    alone), best-of-k over that fill on the same images, hole bits/dim and the validation bound."""
    per_seed = [(_runs(r), r) for r in roots]
    (s0, _, _), _ = per_seed[0]
    summary, per_all = load_seeds(roots)
    ref = _best_classical(summary)
    models = [m for m in s0.model if s0.set_index('model').loc[m, 'n_params']
              and all(m in set(s.model) for (s, _, _), _ in per_seed)]
    def margin(a, b):
        if b not in set(summary.model) or a == b: return '-'
        r = compare_runs(per_all, [(a, b, 'alone')]).iloc[0]
        return f"{r['diff']:+.2f} [{r.low:+.2f}, {r.high:+.2f}]" if r.n_seeds > 1 else f"{r['diff']:+.2f}"
    rows = [f'| model | device per seed | hole PSNR per seed | mean | minus {old} | minus {ref} '
            f'| best of k minus {ref} (same images) per seed | hole bits/dim per seed '
            '| val. bound (bits/dim) per seed |',
            '|---|---|---|---|---|---|---|---|---|']
    for m in models:
        dev, psnr, bok, bpd, nelbo = [], [], [], [], []
        for (s, per, _), root in per_seed:
            met = json.loads((root / m / 'metrics.json').read_text())
            mach = met.get('machine') or {}
            dev.append('H100' if 'H100' in str(mach.get('gpu', ''))
                       else ('H200' if 'H200' in str(mach.get('gpu', '')) else mach.get('device', '?')))
            r = s.set_index('model').loc[m]; psnr.append(r.hole_psnr)
            if (root / m / 'samples.csv').exists():
                sm = pd.read_csv(root / m / 'samples.csv'); n = int(sm.groupby('protocol').size().max())
                bok.append(sm.best_of_k_psnr.mean()
                           - per[(per.model == ref) & (per.image < n)].hole_psnr.mean())
            bpd.append(r.get('stat_hole_bpd', np.nan))
            fv = met.get('final_val') or {}; nelbo.append(fv.get('nelbo_bpd', np.nan))
        rows.append(f"| {m} | {', '.join(dev)} | {', '.join(f'{v:.2f}' for v in psnr)} "
                    f"| {np.mean(psnr):.2f} | {margin(m, old)} | {margin(m, ref)} "
                    f"| {', '.join(f'{v:+.2f}' for v in bok) or '-'} "
                    f"| {', '.join(_f(v, 3) for v in bpd) if np.isfinite(bpd).any() else '-'} "
                    f"| {', '.join(_f(v, 3) for v in nelbo) if np.isfinite(nelbo).any() else '-'} |")
    return '\n'.join(rows)

def stats_table(roots, keys=('hole_psnr_det', 'hole_psnr_prior', 'perplexity', 'codes_used_frac',
                             'tc_per_image')) -> str:
    "Chosen `summary_stats` of every run that reports them, per seed (on the experiment's statistics batch)."
    rows = ['| model | statistic | ' + ' | '.join(f'seed folder {r.name}' for r in roots) + ' |',
            '|---|---|' + '---|' * len(roots)]
    (s0, _, _) = _runs(roots[0])
    for m in s0.model:
        vals = {k: [] for k in keys}
        for r in roots:
            f = r / m / 'metrics.json'
            st = (json.loads(f.read_text()).get('model_stats') or {}) if f.exists() else {}
            for k in keys: vals[k].append(st.get(k))
        for k, v in vals.items():
            if any(x is not None for x in v):
                rows.append(f"| {m} | {k} | " + ' | '.join(_f(x, 3) for x in v) + ' |')
    return '\n'.join(rows)

if __name__ == '__main__':
    if any(a in ('-h', '--help') for a in sys.argv[1:]): raise SystemExit(__doc__)
    roots = [Path(a) for a in sys.argv[1:]] or [Path('runs/smoke')]
    missing = [str(r) for r in roots if not (r / 'study.json').is_file()]
    if missing: raise SystemExit(f"results_tables: not a study folder (no study.json): {', '.join(missing)}")
    # the study's reference fill for every table, chosen on validation over the seeds
    ref = _best_classical(load_seeds(roots)[0])
    for r in roots:
        print(f'### {r}\n\n{summary_table(r)}\n\n{protocol_table(r)}\n\n{sample_table(r, ref)}\n\n'
              f'{raw_table(r)}\n\n{paired_table(r)}\n\n{curve_table(r)}\n\n{time_line(r)}\n')
    if len(roots) > 1:
        print(seeds_table(roots)); print(); print(comparisons_table(roots)); print(); print(aa_table(roots))
        print(); print(family_table(roots)); print(); print(stats_table(roots))
