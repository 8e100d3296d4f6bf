#!/usr/bin/env python
"""Do two study folders hold the same numbers? One line per run present in both: its per-image scores
(`per_image.csv`) and, where it has them, its per-image sample scores and likelihoods (`samples.csv`,
`likelihood.csv`), every column both files have, compared exactly; with the machine facts that decide the last
bits (params.json `machine`, or metrics.json's for older runs). Exit status 1 when a run differs.

    python tools/compare_runs.py runs/smoke runs/smoke-fresh
"""
import json, sys
from pathlib import Path
import pandas as pd

TABLES = ('per_image.csv', 'samples.csv', 'likelihood.csv')

def _same(x: pd.DataFrame, y: pd.DataFrame) -> tuple[bool, float, int]:
    "(identical, largest absolute difference, columns compared) of two tables over the columns both have."
    cols = [c for c in x.columns if c in y.columns]
    if len(x) != len(y): return False, float('nan'), len(cols)
    num = [c for c in cols if pd.api.types.is_numeric_dtype(x[c]) and pd.api.types.is_numeric_dtype(y[c])]
    diff = max([float((x[c] - y[c]).abs().max()) for c in num] or [0.0])
    return x[cols].equals(y[cols]), diff, len(cols)

def _machine(folder: Path) -> str:
    for f in ('params.json', 'metrics.json'):   # older runs: in metrics.json
        try: m = json.loads((folder / f).read_text()).get('machine')
        except (OSError, ValueError): m = None
        if m: return ', '.join(f"{k} {m[k]}" for k in ('cpu', 'threads', 'torch', 'gpu')
                               if m.get(k)) or str(m)
    return 'not recorded'

def compare(a: Path, b: Path) -> pd.DataFrame:
    rows = []
    for d in sorted(p for p in a.iterdir()
                    if (p / 'per_image.csv').exists() and (b / p.name / 'per_image.csv').exists()):
        row = {'run': d.name}
        for t in TABLES:
            if (d / t).exists() and (b / d.name / t).exists():
                same, diff, ncol = _same(pd.read_csv(d / t), pd.read_csv(b / d.name / t))
                row.update({f'{t} identical': same, f'{t} max |diff|': diff})
        row.update({'machine A': _machine(d), 'machine B': _machine(b / d.name)})
        rows.append(row)
    return pd.DataFrame(rows)

if __name__ == '__main__':
    if len(sys.argv) != 3 or sys.argv[1] in ('-h', '--help'): raise SystemExit(__doc__)
    missing = [a for a in sys.argv[1:] if not Path(a).is_dir()]
    if missing: raise SystemExit(f"compare_runs: not a study folder: {', '.join(missing)}")
    out = compare(Path(sys.argv[1]), Path(sys.argv[2]))
    if not len(out):
        raise SystemExit(f"compare_runs: no run is finished in both {sys.argv[1]} and {sys.argv[2]}")
    out = out[['run', *[c for c in out.columns if c not in ('run', 'machine A', 'machine B')],
               'machine A', 'machine B']]
    with pd.option_context('display.width', 250, 'display.max_colwidth', 80):
        print(out.to_string(index=False))
    same = (out[[c for c in out.columns if c.endswith('identical')]].fillna(True).all(axis=None)
            if len(out) else False)
    print('identical' if same else 'DIFFERENT (or nothing to compare)')
    sys.exit(0 if same else 1)
