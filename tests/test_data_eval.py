"The designated test set, Kaggle's offline cache, fixed per-image masks, warnings on cached loads, and LPIPS/FID plumbing."
import warnings
import numpy as np
import pytest, torch
from PIL import Image
import catvae.metrics as cm
from catvae.core import shared_data_dir, build_model
from catvae.data import load_cats, decode_folder, kaggle_dir, resolve_source, DataSourceError
from catvae.masking import eval_masks, PROTOCOLS, hole_fraction, HOLE_RANGE
from catvae.evaluation import evaluate_model, summarize_run
from catvae.study import run_study

@pytest.mark.skipif(shared_data_dir() is None, reason='needs the offline photos in ../shared')
def test_shared_photos_test_on_the_disjoint_eval_set():
    d = load_cats('shared', 64, n_max=200, seed=3, progress=False)
    assert [len(d.names[k]) for k in ('train', 'val', 'test')] == [178, 22, 1000]   # n_max caps the pool; all 1,000 eval cats test
    assert all(n.startswith('eval64/') for n in d.names['test'])
    assert all(n.startswith('train64/') for n in d.names['train'] + d.names['val'])
    assert not {n.split('/')[1] for n in d.names['test']} & {n.split('/')[1] for n in d.names['train']}

def test_kaggle_offline_uses_the_newest_complete_cached_version(tmp_path, monkeypatch):
    import kagglehub
    def offline(handle, *a, **k): raise ConnectionError('no network')
    monkeypatch.setattr(kagglehub, 'dataset_download', offline)
    monkeypatch.setenv('KAGGLEHUB_CACHE', str(tmp_path))
    root = tmp_path / 'datasets' / 'someone' / 'cats'
    for v in (1, 3, 4): (root / 'versions' / str(v)).mkdir(parents=True)
    for v in (1, 3): (root / f'{v}.complete').touch()          # version 4 is an interrupted download
    with pytest.warns(UserWarning, match='cached version 3'):
        assert kaggle_dir('someone/cats') == root / 'versions' / '3'
    with pytest.raises(DataSourceError, match='could not download') as e: kaggle_dir('someone/cats/versions/9')
    assert '\n' not in str(e.value)
    with pytest.raises(DataSourceError, match='pinned'): kaggle_dir('nobody/nothing')

def test_eval_masks_per_image_do_not_depend_on_how_many(tmp_path):
    for p in PROTOCOLS:
        a, b = eval_masks(p, 5, 32, seed=2), eval_masks(p, 130, 32, seed=2)
        assert torch.equal(a, b[:5]), p
    thick = hole_fraction(eval_masks('thick', 300, 64))
    assert thick.max() <= HOLE_RANGE[1]

def test_skip_warning_also_on_a_cached_load(tmp_path):
    src = tmp_path / 'imgs'; src.mkdir()
    for i in range(4): Image.new('RGB', (40, 40), (i * 40, 0, 0)).save(src / f'{i}.png')
    (src / 'bad.jpg').write_bytes(b'junk')
    for _ in range(2):   # decode, then the cache hit
        with pytest.warns(UserWarning, match='skipped 1 of 5'): decode_folder([src], 32, progress=False)

def test_lpips_and_fid_are_filled_when_computable(monkeypatch):
    "With the weights present, every row gets an LPIPS and each protocol one FID (stand-in scorers here)."
    monkeypatch.setattr(cm, 'optional_metric_status', lambda: {'lpips': None, 'fid': None})
    monkeypatch.setattr(cm, 'lpips_scorer', lambda device='cpu': lambda a, b: (a - b).abs().mean((1, 2, 3)))
    calls = []
    def fake_fid(real, fake, device='cpu'):
        assert real.dtype == fake.dtype == torch.uint8
        calls.append((real.shape, fake.shape)); return float((real.float() - fake.float()).pow(2).mean())
    monkeypatch.setattr(cm, 'fid_score', fake_fid)
    x = load_cats('synthetic', 32, n_max=60, progress=False).test
    df = evaluate_model(build_model('mean_fill', 32), x, ('box', 'thick'), n_eval=6, seed=0, progress=False)
    assert df.lpips.notna().all() and (df.lpips > 0).all()
    assert len(calls) == 2 and calls[0][0] == calls[0][1] == (6, 3, 32, 32)
    s = summarize_run(df, n_boot=50)
    assert 'lpips' in s['overall'] and set(s['fid']) == {'box', 'thick'} and s['fid']['box'] > 0

def test_lpips_and_fid_are_empty_when_not_computable(monkeypatch):
    monkeypatch.setattr(cm, 'optional_metric_status', lambda: {'lpips': 'not available: x', 'fid': 'not available: y'})
    x = load_cats('synthetic', 32, n_max=60, progress=False).test
    df = evaluate_model(build_model('mean_fill', 32), x, ('box',), n_eval=4, seed=0, progress=False)
    assert df.lpips.isna().all() and df.fid.isna().all()
    s = summarize_run(df, n_boot=50)
    assert 'lpips' not in s['overall'] and 'fid' not in s

def test_study_fails_fast_on_a_missing_source(tmp_path):
    cfg = {'name': 't', 'defaults': {'source': str(tmp_path / 'no_photos_here')}, 'models': {'mean_fill': {}}}
    with pytest.raises(DataSourceError, match='does not exist'): run_study(cfg, tmp_path / 'study', report=False, log=lambda *a: None)
    assert not (tmp_path / 'study').exists()

def test_study_fails_fast_on_an_empty_folder(tmp_path):
    (tmp_path / 'empty').mkdir()
    cfg = {'name': 't', 'defaults': {'source': str(tmp_path / 'empty')}, 'models': {'mean_fill': {}, 'vae': {}}}
    with pytest.raises(DataSourceError, match='no image files'): run_study(cfg, tmp_path / 'study', report=False, log=lambda *a: None)
    assert not (tmp_path / 'study').exists()


def test_one_test_set_for_every_seed(photo_dir):
    "A training seed changes the train/val split, never the test images, whatever the source."
    for src in ('synthetic', str(photo_dir)) + (('shared',) if shared_data_dir() else ()):
        a, b = (load_cats(src, 32, n_max=100, seed=s, progress=False) for s in (0, 7))
        assert a.names['test'] == b.names['test'] and torch.equal(a.test, b.test), src
        assert a.names['train'] != b.names['train'], src
