#!/usr/bin/env python
"""The README's answer, table and figure, printed from a snapshot of a study's seed folders; nothing is
trained or evaluated.

    # write docs/results/smoke-seeds.*
    python tools/front_page.py snapshot runs/smoke runs/smoke-seed1 runs/smoke-seed2
    # the README block (answer + table) from the snapshot
    python tools/front_page.py block
    python tools/front_page.py figure docs/verdicts.png
    # write README.md into nbs/index.ipynb: one front page, not two
    python tools/front_page.py index
    # exit 1 when README.md's block or nbs/index.ipynb differ (tests/test_readme.py)
    python tools/front_page.py check

The snapshot keeps what the verdicts read: each run's kind, model, settings and validation score per seed, and
each image's hole PSNR averaged over its protocols (the unit `catvae.stats` compares), so the README's numbers
can be checked in CI, where the runs are not. Its verdicts equal `catvae seeds` on the runs themselves.
"""
import json, sys
from pathlib import Path
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / 'docs' / 'results' / 'smoke-seeds'
START, END = ('<!-- front-page block: python tools/front_page.py block -->',
              '<!-- end of the front-page block -->')
SUMMARY_COLS = ['seed', 'model', 'kind', 'model_type', 'train_seed_offset', 'settings', 'val_hole_psnr',
                'hole_psnr', 'n_params', 'train_seconds']

def write_snapshot(roots, dest: Path = SNAPSHOT) -> Path:
    "Save the summary and the per-image (protocol-mean) hole PSNR of the seed folders `roots`."
    from catvae.results import load_seeds
    summary, per = load_seeds(roots)
    # (seed x run x image)
    img = per.groupby(['seed', 'model', 'image'], as_index=False).hole_psnr.mean().round({'hole_psnr': 6})
    dest.parent.mkdir(parents=True, exist_ok=True)
    img.to_csv(dest.with_suffix('.csv.gz'), index=False)
    meta = {'folders': [str(Path(r)) for r in roots], 'protocols': sorted(per.protocol.unique()),
            'runs': summary[[c for c in SUMMARY_COLS if c in summary]].to_dict('records')}
    claims = _claim_values(roots, per)
    if claims is not None:
        claims[0].to_csv(dest.with_name(dest.name + '-claims.csv.gz'), index=False)
        meta['claims'] = claims[1]
    dest.with_suffix('.json').write_text(json.dumps(meta, indent=1, default=str))
    return dest

def _claim_values(roots, per: pd.DataFrame):
    """`(values, claims)`: each claim metric's per-image value (mean over the image's protocols) per seed and
    run, and the claims `[{a, b, question, metric}]` of `catvae.results.claims_table`; None when no run has a
    claim."""
    from catvae.results import claims_table, load_table
    ct = claims_table(roots).dropna(subset=['table'])
    if not len(ct): return None
    out, tables = [], {'per_image.csv': per}
    for metric, table in ct[['metric', 'table']].drop_duplicates().itertuples(index=False):
        t = tables.setdefault(table, load_table(roots, table)) if table not in tables else tables[table]
        runs = set(ct.a[ct.metric == metric]) | set(ct.b[ct.metric == metric])   # the runs its claims compare
        # (seed x run x image)
        v = t[t.model.isin(runs)].groupby(['seed', 'model', 'image'], as_index=False)[metric].mean()
        out.append(v.rename(columns={metric: 'value'}).assign(metric=metric).round({'value': 6}))
    return pd.concat(out, ignore_index=True), ct[['a', 'b', 'question', 'metric']].to_dict('records')

def claims_verdicts(meta: dict, dest: Path = SNAPSHOT) -> pd.DataFrame:
    "The claims' verdicts from the snapshot (what the report's claims table shows), one Bonferroni family."
    from catvae.stats import compare_runs
    vals = pd.read_csv(dest.with_name(dest.name + '-claims.csv.gz'))
    cl = meta.get('claims', [])
    rows = [compare_runs(vals[vals.metric == c['metric']].rename(columns={'value': c['metric']}),
                         [(c['a'], c['b'], c['question'])], c['metric'], m=len(cl)).assign(metric=c['metric'])
            for c in cl]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()

def read_snapshot(dest: Path = SNAPSHOT) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """`(summary, per, meta)` as `load_seeds` gives them (per: one 'all' protocol, the mean over the image's
    protocols)."""
    meta = json.loads(dest.with_suffix('.json').read_text())
    per = pd.read_csv(dest.with_suffix('.csv.gz')).assign(protocol='all')
    return pd.DataFrame(meta['runs']), per, meta

def verdict_table(summary: pd.DataFrame, per: pd.DataFrame) -> pd.DataFrame:
    "The study's questions and verdicts (what `catvae seeds` prints)."
    from catvae.results import comparison_pairs
    from catvae.stats import compare_runs
    return compare_runs(per, comparison_pairs(summary))

def _cell(r) -> str:
    return f"{r['diff']:+.2f} [{r.low:+.2f}, {r.high:+.2f}] **{r.verdict}**"

def front_block(summary: pd.DataFrame, per: pd.DataFrame, meta: dict) -> str:
    "The README's answer (sentences whose every number is computed here) and its one table."
    from catvae.stats import reference_runs
    v = verdict_table(summary, per)
    refs = reference_runs(summary)
    ref_c, ref_d = refs.get('classical'), refs.get('deterministic')
    S, I = int(v.n_seeds.max()), int(v.n_images.max())
    psnr = summary.groupby('model').hole_psnr.mean()
    kinds = summary.groupby('model').kind.first()
    over_c = v[v.question == 'over the best classical fill'].set_index('a')
    over_d = v[v.question == 'over the best deterministic network'].set_index('a')
    over_s = v[v.question == 'against the best sampling model'].set_index('a')
    aa = v[v.question.str.startswith('A/A')]
    fam = over_d.index.tolist()   # the sampling models: the VAE family
    who = lambda t: '; '.join(f"**{w}**: " + ', '.join(f'`{m}`' for m in t.index[t.verdict == w])
                              for w in ('better', 'worse', 'equivalent', 'inconclusive')
                              if (t.verdict == w).any())
    lines = [f"**The answer, on the smoke config** ({S} training seeds; every run scored on the same {I:,} "
             f"`eval64` cats x {len(meta['protocols'])} mask protocols; verdicts over seeds *and* images, "
             f"Bonferroni over {int(v.m.max())} questions, "
             f"equivalence margin +-{v.margin.iloc[0]} dB; `catvae seeds` prints the same):",
             "",
             f"* Against the best classical fill (`{ref_c}`, chosen on validation): {who(over_c)}.",
             f"* Against the deterministic network of the same backbone (`{ref_d}`): {who(over_d)}; "
             "the gap these seeds find at 80% power is "
             f"{over_d.gap_80.min():.2f}-{over_d.gap_80.max():.2f} dB here, so a smaller gain would go unseen"
             + (f"; {int(need.min())}-{int(need.max())} seeds would find one of {v.margin.iloc[0]} dB "
                f"for the {'inconclusive' if (over_d.verdict == 'inconclusive').any() else ''} pairs "
                "(`catvae seeds`, column seeds_for_margin)."
                if len(need := over_d[over_d.verdict == 'inconclusive'].seeds_for_margin.dropna()) else "."),
             *([f"* Against the best sampling model (`{refs.get('sampler')}`, chosen on validation): "
                f"{who(over_s)} (their differences are in the figure below)."] if len(over_s) else []),
             *([f"* The A/A twin (`{aa.a.iloc[0]}` - `{aa.b.iloc[0]}`, one model trained twice): "
                f"{_cell(aa.iloc[0])}."] if len(aa) else []),
             "* Single-fill hole PSNR is the conditional mean's score, which a deterministic net learns "
             "directly: it cannot show what each paper claims (sharper samples, a better posterior, "
             "calibrated uncertainty): the claims table below tests those (docs/methods.md).",
             "",
             f"| run | kind | hole PSNR (dB), mean of {S} seeds "
             f"| minus `{ref_c}` (dB) [corrected interval] verdict "
             f"| minus `{ref_d}` (dB) [corrected interval] verdict |",
             "|---|---|---|---|---|"]
    twins = dict(zip(aa.a, aa.b))
    for m in psnr.sort_values(ascending=False).index:
        if m in twins:
            lines.append(f"| `{m}` | A/A twin of `{twins[m]}` | {psnr[m]:.2f} "
                         f"| minus `{twins[m]}`: {_cell(aa.set_index('a').loc[m])} | |"); continue
        c = _cell(over_c.loc[m]) if m in over_c.index else ('reference' if m == ref_c else '-')
        d = _cell(over_d.loc[m]) if m in over_d.index else ('reference' if m == ref_d else '-')
        lines.append(f"| `{m}` | {kinds[m]} | {psnr[m]:.2f} | {c} | {d} |")
    if meta.get('claims'):
        cv = claims_verdicts(meta)
        lines += ["", f"**What each paper claims**, judged the same way (each model against the one it "
                  f"extends, on the metric that tests the claim; {int(cv.n_seeds.max())} seeds; "
                  f"one Bonferroni family of {len(cv)}; the costly metrics on a fixed subset of the test "
                  "images, `n images` below; lower is better for bits, gaps, proper scores and critic "
                  "accuracy):", "",
                  "| claim | model vs | metric | n images | difference [corrected interval] | verdict |",
                  "|---|---|---|---|---|---|"]
        for r in cv.itertuples():
            iv = f"{r.diff:+.3g} [{r.low:+.3g}, {r.high:+.3g}]" if pd.notna(r.low) else f"{r.diff:+.3g}"
            lines.append(f"| {r.question} | `{r.a}` vs `{r.b}` | `{r.metric}` | {r.n_images} | {iv} "
                         f"| **{r.verdict}** |")
    return '\n'.join(lines)

def figure(summary: pd.DataFrame, per: pd.DataFrame, path: Path) -> Path:
    """The verdicts as a forest plot: each question's difference and corrected interval, coloured by its
    verdict."""
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    v = verdict_table(summary, per)
    fig, ax = plt.subplots(figsize=(7.5, .3 * len(v) + 1.2))
    y = np.arange(len(v))[::-1]
    col = v.verdict.map({'better': 'C2', 'worse': 'C3', 'equivalent': 'C0'}).fillna('0.5')
    ax.axvspan(-v.margin.iloc[0], v.margin.iloc[0], color='C0', alpha=.12, lw=0)
    ax.hlines(y, v.low, v.high, colors=list(col), lw=2); ax.scatter(v['diff'], y, c=list(col), zorder=3, s=14)
    ax.axvline(0, color='k', lw=.8)
    ax.set_yticks(y, v.a + ' - ' + v.b, fontsize=7)
    ax.set_xlabel('hole PSNR difference (dB), corrected interval over seeds and images', fontsize=8)
    ax.set_title('verdicts: green better, red worse, blue equivalent (+-0.1 dB band), grey inconclusive',
                 fontsize=8)
    fig.tight_layout(); path = Path(path); path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90); plt.close(fig)
    return path

def readme_block(readme: Path = ROOT / 'README.md') -> str:
    "The block of README.md between the two markers ('' if absent)."
    t = readme.read_text()
    return t[t.index(START) + len(START):t.index(END)].strip('\n') if START in t and END in t else ''

def index_markdown(readme: Path = ROOT / 'README.md') -> str:
    "The front page as the docs' home notebook shows it: README.md with its links made relative to nbs/."
    return readme.read_text().rstrip('\n').replace('](docs/', '](../docs/')

def write_index(nb_path: Path = ROOT / 'nbs' / 'index.ipynb') -> Path:
    "Put `index_markdown()` into the first cell of nbs/index.ipynb (a markdown cell)."
    nb = json.loads(nb_path.read_text())
    nb['cells'][0] = {**nb['cells'][0], 'cell_type': 'markdown',
                      'source': index_markdown().splitlines(keepends=True)}
    nb['cells'][0].pop('outputs', None); nb['cells'][0].pop('execution_count', None)
    nb_path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
    return nb_path

def index_matches(nb_path: Path = ROOT / 'nbs' / 'index.ipynb') -> bool:
    return ''.join(json.loads(nb_path.read_text())['cells'][0]['source']) == index_markdown()

if __name__ == '__main__':
    args = sys.argv[1:]
    if (not args or args[0] in ('-h', '--help')
            or args[0] not in ('snapshot', 'block', 'figure', 'index', 'check')):
        raise SystemExit(__doc__)
    if args[0] == 'snapshot':
        missing = [a for a in args[1:] if not (Path(a) / 'study.json').is_file()]
        if len(args) < 3 or missing:
            raise SystemExit(f"front_page: give two or more study folders "
                             f"(no study.json: {', '.join(missing) or '-'})")
        print(write_snapshot([Path(a) for a in args[1:]]))
    elif args[0] == 'block': print(front_block(*read_snapshot()))
    elif args[0] == 'figure':
        print(figure(*read_snapshot()[:2],
                     Path(args[1] if len(args) > 1 else ROOT / 'docs' / 'verdicts.png')))
    elif args[0] == 'index': print(write_index())
    else:
        ok, same = readme_block() == front_block(*read_snapshot()), index_matches()
        print('README block matches the snapshot' if ok
              else 'README block differs from `python tools/front_page.py block`')
        print('nbs/index.ipynb is the README' if same
              else 'nbs/index.ipynb differs from README.md: run `python tools/front_page.py index`')
        raise SystemExit(0 if ok and same else 1)
