"The notebooks' shape (issue 25): one definition per export cell, short export cells, thumbnails not figures."
import ast, json, re
from pathlib import Path

NBS = sorted((Path(__file__).resolve().parents[1] / 'nbs').glob('*.ipynb'))
MAX_KB, MAX_DEFS_PER_CELL, MAX_LINES = 60, 1.3, 40

def export_cells(nb: Path):
    "(source lines without directives, top-level definitions) of every export cell that is not only imports."
    for c in json.loads(nb.read_text())['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] != 'code' or not re.match(r'\s*#\|\s*export', src): continue
        body = [l for l in src.splitlines() if not l.startswith('#|')]
        tree = ast.parse('\n'.join(body))
        if all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in tree.body): continue
        yield body, [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]

def test_notebooks_are_small():
    big = {nb.name: round(nb.stat().st_size / 1024) for nb in NBS if nb.stat().st_size > MAX_KB * 1024}
    assert not big, f"notebooks over {MAX_KB} KB (run tools/run_notebooks.py, which stores thumbnails): {big}"

def test_one_definition_per_export_cell():
    cells = [(nb.name, body, defs) for nb in NBS for body, defs in export_cells(nb)]
    ratio = sum(max(len(d), 1) for _, _, d in cells) / len(cells)
    assert ratio <= MAX_DEFS_PER_CELL, f"{ratio:.2f} definitions per export cell"
    long = [(n, [d.name for d in defs], len(body)) for n, body, defs in cells if len(body) > MAX_LINES]
    assert not long, f"export cells over {MAX_LINES} lines: {long}"
