#!/usr/bin/env python
"""Do two study folders hold the same per-image scores? One line per run present in both, with the machine facts
that decide the numbers (params.json `machine`, or metrics.json's for older runs) when they were recorded.

    python tools/compare_runs.py runs/smoke runs/smoke-fresh
"""
import json, sys
from pathlib import Path
import pandas as pd

COLS = ['protocol', 'image', 'hole_psnr', 'hole_l1', 'psnr', 'ssim', 'ms_ssim']

def compare(a: Path, b: Path) -> pd.DataFrame:
    rows = []
    for d in sorted(p for p in a.iterdir() if (p / 'per_image.csv').exists() and (b / p.name / 'per_image.csv').exists()):
        x, y = pd.read_csv(d / 'per_image.csv'), pd.read_csv(b / d.name / 'per_image.csv')
        cols = [c for c in COLS if c in x and c in y]
        same = len(x) == len(y) and x[cols].equals(y[cols])
        mach = [json.loads((f / d.name / 'params.json').read_text()).get('machine')
                or json.loads((f / d.name / 'metrics.json').read_text()).get('machine') for f in (a, b)]   # older runs: in metrics.json
        rows.append({'run': d.name, 'rows': len(x), 'identical': same,
                     'max |diff| hole PSNR': float((x.hole_psnr - y.hole_psnr).abs().max()) if len(x) == len(y) else float('nan'),
                     'machine A': mach[0] or 'not recorded', 'machine B': mach[1] or 'not recorded'})
    return pd.DataFrame(rows)

if __name__ == '__main__':
    with pd.option_context('display.width', 250, 'display.max_colwidth', 120):
        print(compare(Path(sys.argv[1]), Path(sys.argv[2])).to_string(index=False))
