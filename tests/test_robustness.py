"Nothing lost, nothing silent: each failure a new user hit (issue 14) reproduced, and what happens now."
import json, os, shutil
from pathlib import Path
import numpy as np
import pandas as pd
import pytest
from PIL import Image
from catvae.config import StudyError
from catvae.results import load_runs
from catvae.study import run_study, render_report, _Lock
from catvae.data import DataSourceError

def _cfg(photo_dir, **over):
    return {'name': 'rb', 'defaults': {'source': str(photo_dir), 'size': 64, 'n_images': 60, 'n_eval': 6, 'device': 'cpu',
                                       'eval_protocols': 'box,thick', **over}, 'models': {'mean_fill': {}}}

@pytest.fixture(scope='module')
def done(photo_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp('rb') / 'study'
    assert run_study(_cfg(photo_dir), out=out, log=lambda s: None) == {'mean_fill': 'ok'}
    return out

def test_other_settings_never_overwrite_a_finished_run(done, photo_dir):
    before = (done / 'mean_fill' / 'metrics.json').read_text()
    with pytest.raises(StudyError, match=r"finished with other settings \(n_eval: 6 -> 4\).*--redo"):
        run_study(_cfg(photo_dir, n_eval=4), out=done, log=lambda s: None)
    assert (done / 'mean_fill' / 'metrics.json').read_text() == before

def test_second_study_on_a_folder_in_use_stops(done, photo_dir):
    with _Lock(done):   # as if another study held the folder
        with pytest.raises(StudyError, match='in use by another study'): run_study(_cfg(photo_dir), out=done, log=lambda s: None)
    assert not (done / '.catvae.lock').exists()

def test_relative_paths_from_another_folder(photo_dir, tmp_path, monkeypatch):
    shutil.copytree(photo_dir, tmp_path / 'pics')
    monkeypatch.chdir(tmp_path)
    assert run_study(_cfg('pics'), out='relout', log=lambda s: None, report=False) == {'mean_fill': 'ok'}
    assert (tmp_path / 'relout' / 'mean_fill' / 'metrics.json').exists() and (tmp_path / 'relout' / 'study.json').exists()
    assert len(load_runs('relout')[0]) == 1

def test_16bit_png_is_decoded_not_white(tmp_path):
    from catvae.data import load_image
    Image.fromarray((np.linspace(0, 40000, 64 * 64).reshape(64, 64)).astype(np.uint16)).save(tmp_path / 'd.png')
    x = load_image(tmp_path / 'd.png', 32)
    assert x.max() < 200 and x.min() < 5            # 40000/65535 of full scale at most, not clipped to 255

def test_damaged_per_image_table_is_named_and_report_renders(done, tmp_path):
    root = tmp_path / 's'; shutil.copytree(done, root)
    f = root / 'mean_fill' / 'per_image.csv'
    f.write_text(''.join(f.read_text().splitlines(keepends=True)[:5]))      # truncated
    s, _, failed = load_runs(root)
    assert len(s) == 0 and 'damaged' in failed['mean_fill'] and 'expected 12' in failed['mean_fill']   # 2 protocols x 6 test images
    assert 'damaged' in render_report(root).read_text()

def test_ok_without_metrics_is_reported(done, tmp_path):
    root = tmp_path / 's'; shutil.copytree(done, root)
    (root / 'mean_fill' / 'metrics.json').unlink()
    _, _, failed = load_runs(root)
    assert 'metrics.json is missing' in failed['mean_fill']

def test_report_with_exactly_one_run(done):
    html = render_report(done).read_text()
    assert 'mean_fill' in html and 'One training seed only' in html

def test_bad_settings_found_before_anything_runs(photo_dir, tmp_path):
    out = tmp_path / 'never'
    with pytest.raises(StudyError) as e:
        run_study({**_cfg(photo_dir, epochs=-1, batch_size=0, size=50, eval_protocols='box,blob'),
                   'models': {'vae': {'model_kwargs': {'z_dimension': 3}}}}, out=out, log=lambda s: None)
    lines = str(e.value).splitlines()
    assert len(lines) == 5 and not out.exists(), lines   # epochs, batch_size, size, protocols, model kwargs

def test_folder_of_unreadable_files_stops_early(tmp_path):
    d = tmp_path / 'bad'; d.mkdir()
    for i in range(3): (d / f'x{i}.jpg').write_bytes(b'not an image')
    with pytest.raises(DataSourceError, match='none of the 3 image files'):
        run_study(_cfg(d), out=tmp_path / 'o', log=lambda s: None)

def test_config_names_and_bad_json(tmp_path, monkeypatch):
    "A `smoke/` folder where the command runs does not hide configs/smoke.json; a malformed config is named."
    from catvae.config import load_config
    monkeypatch.chdir(tmp_path); (tmp_path / 'smoke').mkdir()
    assert load_config('smoke')['name'] == 'smoke'
    (tmp_path / 'bad.json').write_text('{"models": {')
    with pytest.raises(ValueError, match='bad.json is not valid JSON'): load_config(str(tmp_path / 'bad.json'))

def test_too_few_photos_stop_early(photo_dir, tmp_path):
    d = tmp_path / 'three'; d.mkdir()
    for p in sorted(photo_dir.iterdir())[:3]: shutil.copy(p, d / p.name)
    with pytest.raises(DataSourceError, match='only 3 image files'): run_study(_cfg(d), out=tmp_path / 'o', log=lambda s: None)

def test_corrupt_checkpoint_is_named(tmp_path):
    import torch
    from catvae.core import build_model
    from catvae.data import load_cats
    from catvae.training import TrainConfig, train
    (tmp_path / 'ckpt').mkdir(); (tmp_path / 'ckpt' / 'last.pt').write_bytes(b'garbage')
    data = load_cats('synthetic', 32, n_max=40, progress=False)
    with pytest.raises(RuntimeError, match=r'cannot resume from .*last.pt.*--redo'):
        train(build_model('unet', 32, ch=4, max_ch=8), data, TrainConfig(epochs=1, batch_size=8), tmp_path, progress=False)

@pytest.mark.parametrize('name', sorted(__import__('catvae.core', fromlist=['MODEL_MODULES']).MODEL_MODULES))
def test_inpaint_photo_with_every_model(name):
    "Every registered model inpaints a 400x300 photo through `inpaint_photo` (learned ones at 64 px, classical at full size)."
    import torch
    from catvae.core import build_model
    from catvae.inpaint import inpaint_photo, box_mask
    torch.manual_seed(0)
    net = build_model(name, 64).eval()
    learned = any(True for _ in net.parameters())
    yy, xx = np.mgrid[0:300, 0:400]
    img = np.stack([xx * 255 // 400, yy * 255 // 300, np.full_like(xx, 90)], -1).astype(np.uint8)
    hole = box_mask('150,90,110,80', img.shape)
    res = inpaint_photo(net, 64 if learned else None, img, hole, samples=2 if hasattr(net, 'sample_inpaint') else 0)
    assert res['composite'].shape == img.shape and (res['composite'][~hole] == img[~hole]).all()
    assert len(res['samples']) == (2 if hasattr(net, 'sample_inpaint') else 0)

def test_report_needs_a_study_folder(tmp_path, capsys):
    from catvae.cli import main
    for d in (tmp_path / 'nowhere', tmp_path):
        with pytest.raises(SystemExit) as e: main(['report', str(d)])
        err = capsys.readouterr().err
        assert e.value.code == 2 and err.count('\n') == 1 and ('does not exist' in err or 'not a study folder' in err)
    assert not (tmp_path / 'report.html').exists()

def test_too_few_images_as_a_setting(photo_dir, tmp_path):
    with pytest.raises(StudyError, match='n_images must be 0'): run_study(_cfg(photo_dir, n_images=10), out=tmp_path / 'o', log=lambda s: None)

def test_evaluate_and_inpaint_refusals(done, photo_dir, tmp_path, capsys):
    from catvae.cli import main
    from catvae.inpaint import evaluate_photos
    d = tmp_path / 'p'; shutil.copytree(photo_dir, d)
    with pytest.raises(ValueError, match='--n-max must be at least'): evaluate_photos(done, d, tmp_path / 'ev', n_max=-3)
    evaluate_photos(done, d, tmp_path / 'ev', n_max=12, report=False, log=lambda s: None)
    with pytest.raises(FileExistsError, match='--force'): evaluate_photos(done, d, tmp_path / 'ev', n_max=12, report=False)
    photo = sorted(d.iterdir())[0]
    w, h = Image.open(photo).size
    for args, msg in [(['--box', f'0,0,{w},{h}'], 'covers the whole photo'), (['--box', '1,1,0,5'], 'must be positive')]:
        with pytest.raises(SystemExit): main(['inpaint', str(done / 'mean_fill'), str(photo), *args, '--out', str(tmp_path / 'o.png')])
        assert msg in capsys.readouterr().err
    with pytest.raises(SystemExit): main(['inpaint', str(done / 'mean_fill'), str(photo), '--box', '1,1,5,5', '--out', str(photo), '--force'])
    assert 'is the input photo' in capsys.readouterr().err
