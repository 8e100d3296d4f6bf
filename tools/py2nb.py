#!/usr/bin/env python
"""Build a notebook from a percent-format draft (`# %%` code cells, `# %% [markdown]` markdown cells).

Drafting aid only: the notebooks in `nbs/` are the source of truth. Usage:
    python tools/py2nb.py draft.py nbs/00_core.ipynb
A code cell header may carry tags: `# %% tags=["parameters"]`.
"""
import json, re, sys
from pathlib import Path

def _cell(kind, lines, tags):
    while lines and not lines[-1].strip(): lines.pop()
    while lines and not lines[0].strip(): lines.pop(0)
    if kind == 'markdown':
        lines = [l[2:] if l.startswith('# ') else (l[1:] if l.startswith('#') else l) for l in lines]
    src = [l + '\n' for l in lines]
    if src: src[-1] = src[-1][:-1]
    c = {'cell_type': kind, 'metadata': ({'tags': tags} if tags else {}), 'source': src}
    if kind == 'code': c.update(execution_count=None, outputs=[])
    return c

def convert(text):
    cells, kind, lines, tags = [], None, [], []
    for line in text.splitlines():
        m = re.match(r'^# %%(.*)$', line)
        if m:
            if kind is not None: cells.append(_cell(kind, lines, tags))
            rest = m.group(1)
            kind = 'markdown' if '[markdown]' in rest else 'code'
            t = re.search(r'tags=(\[.*\])', rest)
            tags = json.loads(t.group(1)) if t else []
            lines = []
        else:
            if kind is None: continue
            lines.append(line)
    if kind is not None: cells.append(_cell(kind, lines, tags))
    return {'cells': cells,
            'metadata': {'kernelspec': {'display_name': 'python3', 'language': 'python', 'name': 'python3'}},
            'nbformat': 4, 'nbformat_minor': 5}

if __name__ == '__main__':
    src, dst = sys.argv[1], sys.argv[2]
    Path(dst).parent.mkdir(parents=True, exist_ok=True)
    Path(dst).write_text(json.dumps(convert(Path(src).read_text()), indent=1, ensure_ascii=False) + '\n')
