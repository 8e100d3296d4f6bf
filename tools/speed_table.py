#!/usr/bin/env python
"""Where a study's time went: one row per run with its wall time (status.json) and the phases its experiment
notebook recorded (metrics.json `phase_seconds`: data, precision probe, train, score, samples, likelihood,
figures, realism; the rest is the kernel's start and imports), then the total, the machine and the threads it
ran with. A run that started with fewer threads than cores (other work was running: `free_cores`) is marked
"(busy)".

    python tools/speed_table.py runs/smoke-check   # a markdown table (docs/speed.md)
"""
import json, sys
from pathlib import Path

PHASES = ('data', 'precision_probe', 'train', 'score', 'samples', 'likelihood', 'figures', 'realism')

def rows(root: Path) -> tuple[list, dict]:
    out, machine = [], {}
    for d in sorted(p for p in root.iterdir() if (p / 'metrics.json').exists()):
        met = json.loads((d / 'metrics.json').read_text())
        st = json.loads((d / 'status.json').read_text()) if (d / 'status.json').exists() else {}
        par = json.loads((d / 'params.json').read_text()) if (d / 'params.json').exists() else {}
        ph = met.get('phase_seconds') or {}
        machine = machine or met.get('machine') or {}
        out.append({'run': d.name, 'wall': st.get('seconds'), **{k: ph.get(k) for k in PHASES},
                    'other': (st.get('seconds') or 0) - sum(v for v in ph.values() if v) if ph else None,
                    'precision': par.get('scored_in', '?'),
                    'threads': (met.get('machine') or {}).get('threads'),
                    'busy': (((met.get('machine') or {}).get('threads') or 0)
                             < ((met.get('machine') or {}).get('cores') or 0))})
    return out, machine

def table(root: Path) -> str:
    rs, machine = rows(root)
    f = lambda v: '-' if v is None else f'{v:.0f}'
    cols = ['wall', *PHASES, 'other']
    lines = ['| run | ' + ' | '.join(c.replace('_', ' ') for c in cols) + ' | precision | threads |',
             '|---|' + '---:|' * len(cols) + '---|---|']
    lines += [f"| {r['run']}{' (busy)' if r['busy'] else ''} | " + ' | '.join(f(r[c]) for c in cols)
              + f" | {r['precision']} | {r['threads']} |"
              for r in rs]
    tot = {c: sum(r[c] or 0 for r in rs) for c in cols}
    lines.append('| **all runs** | ' + ' | '.join(f(tot[c]) for c in cols) + ' | | |')
    lines.append(f"\nSeconds. All runs: {tot['wall'] / 60:.1f} minutes. "
                 f"Machine: {machine.get('cpu')}, {machine.get('cores')} cores, "
                 f"torch {machine.get('torch')}, CPU capability {machine.get('cpu_capability')}.")
    return '\n'.join(lines)

if __name__ == '__main__':
    if len(sys.argv) != 2 or sys.argv[1] in ('-h', '--help'): raise SystemExit(__doc__)
    root = Path(sys.argv[1])
    if not root.is_dir(): raise SystemExit(f"speed_table: {root} is not a study folder")
    print(table(root))
