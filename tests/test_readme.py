"""The front page (issue 25): at most 12 KB, its answer and table printed by tools/front_page.py from the committed snapshot
of the study's seed folders, the same text as the docs' home notebook, and a map of every notebook."""
import re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tools'))
import front_page

README = ROOT / 'README.md'

def test_readme_is_a_front_page():
    assert README.stat().st_size <= 12 * 1024, README.stat().st_size
    text = README.read_text()
    assert text.index('## The answer') < 1200                               # the answer on the first screen

def test_readme_numbers_are_the_scripts():
    block = front_page.readme_block()
    assert block, 'README.md has no front-page block'
    assert block == front_page.front_block(*front_page.read_snapshot()), 'run `python tools/front_page.py block` and paste it'

def test_index_notebook_is_the_readme():
    assert front_page.index_matches(), 'run `python tools/front_page.py index`'

def test_links_and_notebook_map():
    text = README.read_text()
    for link in re.findall(r'\]\(((?:docs|configs)/[^)#]+)\)', text): assert (ROOT / link).exists(), link
    mapped = set(re.findall(r'^\| `([\w/]+)` \|', text, flags=re.M))
    nbs = {p.stem for p in (ROOT / 'nbs').glob('[0-9]*.ipynb')} | {f'experiments/{p.stem}' for p in (ROOT / 'nbs' / 'experiments').glob('*.ipynb')}
    assert nbs <= mapped, sorted(nbs - mapped)
