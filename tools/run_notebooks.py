#!/usr/bin/env python
"""Execute the literate notebooks and keep their outputs in the files, as nbdev projects publish them.

    # every notebook of nbs/ (not nbs/experiments)
    CATVAE_SHARED_DATA=/nonexistent python tools/run_notebooks.py
    CATVAE_SHARED_DATA=/nonexistent python tools/run_notebooks.py nbs/02_masking.ipynb

Each notebook runs as `nbdev_test` runs it (cells flagged `slow`, `gpu` or `notest` are skipped and keep no
output), then its outputs are written into the file and `nbdev_clean` strips the metadata (outputs stay:
`clear_all = False` in settings.ini), so `make check` stays clean. The notebooks run on the synthetic cats
only: the tool stops when the offline photos (research-only licence) are reachable, so that no photo lands in
a committed notebook. Figures are drawn at 45 dpi and stored as thumbnails (`thumbnail`: at most MAX_SIDE
pixels wide and about MAX_KB each, PNG with a palette or JPEG, whichever is smaller), so that no notebook
passes 60 KB (tests/test_notebooks.py). A notebook that fails keeps its file unchanged, and the tool exits 1
after the others.
"""
import base64, io, os, sys, json, time, subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIP = {'slow', 'gpu', 'notest'}
SETUP = "import matplotlib; matplotlib.rcParams['figure.dpi'] = 45; matplotlib.rcParams['savefig.dpi'] = 45"

# a committed figure: a thumbnail of the one the reader gets when running the notebook
MAX_SIDE, MAX_KB = 520, 14

def thumbnail(png_b64: str) -> tuple[str, str]:
    """A PNG figure (base64) as `(mime type, base64)`: at most MAX_SIDE px wide, the smaller of a palette PNG
    and a JPEG, shrunk to ~MAX_KB."""
    from PIL import Image
    im = Image.open(io.BytesIO(base64.b64decode(png_b64))).convert('RGB')
    best = None
    for side in (MAX_SIDE, 440, 360, 300, 240):
        w = min(im.width, side)
        t = im.resize((w, max(1, round(im.height * w / im.width))), Image.LANCZOS) if w < im.width else im
        for mime, save in (('image/png', lambda b: t.quantize(64).save(b, 'PNG', optimize=True)),
                           ('image/jpeg', lambda b: t.save(b, 'JPEG', quality=70, optimize=True))):
            b = io.BytesIO(); save(b); data = base64.b64encode(b.getvalue()).decode()
            if best is None or len(data) < len(best[1]): best = (mime, data)
        if len(best[1]) <= MAX_KB * 1024: break
    return best if len(best[1]) < len(png_b64) else ('image/png', png_b64)

def _thumbnails(outputs: list) -> list:
    "Every PNG figure of `outputs` as its thumbnail."
    for o in outputs:
        d = o.get('data') or {}
        if 'image/png' in d:
            mime, data = thumbnail(''.join(d.pop('image/png')) if isinstance(d['image/png'], list)
                                   else d.pop('image/png'))
            d[mime] = data
    return outputs

def _plain(outputs: list) -> list:
    """execnb's outputs as nbformat JSON (plain dicts and lists), with this checkout's absolute path made
    relative."""
    s = json.dumps(outputs, default=lambda o: dict(o) if hasattr(o, 'keys') else list(o))
    return json.loads(s.replace(str(ROOT) + '/', '').replace(str(ROOT), '.'))

def run(fn: Path) -> tuple[bool, float, str]:
    "Execute `fn` in a fresh shell and write its outputs back: `(ok, seconds, error)`."
    from execnb.shell import CaptureShell
    from nbdev.process import NBProcessor
    from nbdev.frontmatter import FrontmatterProc
    nb = NBProcessor(fn, procs=FrontmatterProc, process=True).nb
    def skip(cell):
        if cell.cell_type != 'code' or 'nbdev_export' + '(' in cell.source: return True
        d = getattr(cell, 'directives_', {}) or {}
        return d.get('eval:', [''])[0].lower() == 'false' or bool(SKIP & d.keys())
    t0, k = time.time(), CaptureShell(fn, mpl_format='png')
    cwd = os.getcwd()
    try:
        os.chdir(fn.parent)
        k.run_cell(SETUP)
        k.run_all(nb, exc_stop=True, preproc=skip)
    except Exception:
        return False, time.time() - t0, k.prettytb(fname=fn)
    finally:
        os.chdir(cwd)
    raw = json.loads(fn.read_text())
    if len(raw['cells']) != len(nb.cells):
        return False, time.time() - t0, 'cell count changed while running'
    for c, r in zip(nb.cells, raw['cells']):
        if r['cell_type'] == 'code':
            r['outputs'] = _thumbnails(_plain(c.get('outputs', []))) if not skip(c) else []
            r['execution_count'] = None
    fn.write_text(json.dumps(raw, indent=1, ensure_ascii=False) + '\n')
    return True, time.time() - t0, ''

if __name__ == '__main__':
    args = sys.argv[1:]
    if args and args[0] in ('-h', '--help'): raise SystemExit(__doc__)
    sys.path.insert(0, str(ROOT))
    from catvae.core import shared_data_dir
    if shared_data_dir() is not None:
        raise SystemExit(f"run_notebooks: the offline photos are reachable ({shared_data_dir()}); "
                         "run with CATVAE_SHARED_DATA=/nonexistent "
                         "so that the notebooks use synthetic cats and no research-only photo is committed")
    os.environ['IN_TEST'] = '1'
    files = [Path(a).resolve() for a in args] or sorted((ROOT / 'nbs').glob('*.ipynb'))
    bad = [str(f) for f in files if f.suffix != '.ipynb' or not f.is_file()]
    if bad: raise SystemExit(f"run_notebooks: not a notebook: {', '.join(bad)}")
    failed = []
    for f in files:
        ok, secs, err = run(f)
        kb = f.stat().st_size / 1024
        print(f"{'ok  ' if ok else 'FAIL'} {f.relative_to(ROOT)}: {secs:.0f} s, {kb:.0f} KB", flush=True)
        if not ok: failed.append(f); print(err[-3000:], file=sys.stderr)
    subprocess.run(['nbdev_clean'], cwd=ROOT, check=False)
    sys.exit(1 if failed else 0)
