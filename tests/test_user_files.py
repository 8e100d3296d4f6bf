"""Never delete what the tool did not make (issue 27): every reproduction of the fault probe, with the user's files
checked byte for byte afterwards, and the bad inputs that must stop in one line before any model runs."""
import json, shutil, time
from pathlib import Path
import numpy as np
import pytest
import torch
from PIL import Image
from catvae.core import build_model, atomic_write_json, EVAL_PROTOCOL, code_version
from catvae.cli import main
from catvae.config import StudyError
from catvae.results import load_runs, load_seeds
from catvae.study import run_study, render_report

SMALL_VAE = {'ch': 4, 'max_ch': 8, 'z_ch': 2}

def _cfg(photo_dir, **over):
    return {'name': 'uf', 'defaults': {'source': str(photo_dir), 'size': 64, 'n_images': 60, 'n_eval': 6, 'device': 'cpu',
                                       'eval_protocols': 'box,thick', **over}, 'models': {'mean_fill': {}}}

@pytest.fixture(scope='module')
def done(photo_dir, tmp_path_factory):
    "A finished study of one classical fill."
    out = tmp_path_factory.mktemp('uf') / 'study'
    assert run_study(_cfg(photo_dir), out=out, log=lambda s: None, report=False) == {'mean_fill': 'ok'}
    return out

@pytest.fixture
def vae_run(tmp_path):
    "A finished run of a small VAE (it draws samples), made by hand: params, metrics and checkpoint."
    run = tmp_path / 'runs' / 'vae'; (run / 'ckpt').mkdir(parents=True)
    torch.manual_seed(0)
    atomic_write_json(run / 'params.json', {'model': 'vae', 'size': 64, 'model_kwargs': SMALL_VAE, 'eval_protocol': EVAL_PROTOCOL,
                                            'model_version': code_version('vae')})
    atomic_write_json(run / 'metrics.json', {'model': 'vae'})
    torch.save({'model': build_model('vae', 64, **SMALL_VAE).state_dict()}, run / 'ckpt' / 'last.pt')
    return run

def _photo(path, size=(160, 120)):
    yy, xx = np.mgrid[0:size[1], 0:size[0]]
    Image.fromarray(np.stack([xx % 256, yy % 256, (xx + yy) % 256], -1).astype(np.uint8)).save(path)
    return path

def _snapshot(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.rglob('*')) if p.is_file()}

def _cli(args, capsys):
    "Run `catvae ARGS`; return (exit code, stderr)."
    try: code = main([str(a) for a in args])
    except SystemExit as e: code = e.code
    return code, capsys.readouterr().err

# --- 1. catvae inpaint never deletes or replaces a file it did not write ----------------------------------------------

def test_inpaint_keeps_an_input_photo_named_like_a_sample(vae_run, tmp_path, capsys):
    d = tmp_path / 'd'; d.mkdir(); photo = _photo(d / 'pic_sample1.png'); before = photo.read_bytes()
    code, err = _cli(['inpaint', vae_run, photo, '--box', '50,40,40,30', '--out', d / 'pic.png'], capsys)
    assert code == 0 and photo.read_bytes() == before                       # was deleted before the fix
    for force, why in (([], 'pass --force'), (['--force'], 'the input photo')):   # with samples it would be written: refused
        code, err = _cli(['inpaint', vae_run, photo, '--box', '50,40,40,30', '--out', d / 'pic.png', '--samples', '2', *force], capsys)
        assert code == 2 and why in err and err.count('\n') == 1, err
        assert photo.read_bytes() == before

def test_inpaint_keeps_a_mask_named_like_the_std_map(vae_run, tmp_path, capsys):
    d = tmp_path / 'd'; d.mkdir(); photo = _photo(tmp_path / 'cat.png')
    m = np.zeros((120, 160), np.uint8); m[40:70, 50:90] = 255; Image.fromarray(m).save(d / 'r_std.png')
    before = (d / 'r_std.png').read_bytes()
    assert _cli(['inpaint', vae_run, photo, '--mask', d / 'r_std.png', '--out', d / 'r.png'], capsys)[0] == 0
    code, err = _cli(['inpaint', vae_run, photo, '--mask', d / 'r_std.png', '--out', d / 'r.png', '--samples', '2', '--force'], capsys)
    assert code == 2 and 'the mask' in err
    assert (d / 'r_std.png').read_bytes() == before

def test_inpaint_out_name_with_glob_characters(vae_run, tmp_path, capsys):
    d = tmp_path / 'd'; d.mkdir(); photo = _photo(tmp_path / 'cat.png')
    (d / 'cat1_sample1.png').write_bytes(b'a file of the user'); (d / 'cat1_sample2.png').write_bytes(b'another')
    assert _cli(['inpaint', vae_run, photo, '--box', '50,40,40,30', '--out', d / 'cat[1].png', '--samples', '2'], capsys)[0] == 0
    assert (d / 'cat1_sample1.png').read_bytes() == b'a file of the user' and (d / 'cat1_sample2.png').read_bytes() == b'another'
    assert (d / 'cat[1]_sample2.png').exists()

def test_force_never_writes_an_input_or_a_foreign_file(vae_run, tmp_path, capsys):
    d = tmp_path / 'd'; d.mkdir(); photo = _photo(d / 'x_panel.png'); before = photo.read_bytes()
    code, err = _cli(['inpaint', vae_run, photo, '--box', '50,40,40,30', '--out', d / 'x.png', '--force'], capsys)
    assert code == 2 and 'the input photo' in err and photo.read_bytes() == before
    other = _photo(tmp_path / 'cat.png'); (d / 'y_std.png').write_bytes(b'mine')
    code, err = _cli(['inpaint', vae_run, other, '--box', '50,40,40,30', '--out', d / 'y.png', '--samples', '3', '--force'], capsys)
    assert code == 2 and 'not written by an inpainting' in err and (d / 'y_std.png').read_bytes() == b'mine'
    assert not (d / 'y.png').exists()                                       # refused before anything was written
    import os; os.link(other, d / 'hard.png')                               # --out a hard link to the photo: the same file
    code, err = _cli(['inpaint', vae_run, other, '--box', '50,40,40,30', '--out', d / 'hard.png', '--force'], capsys)
    assert code == 2 and 'the input photo' in err and (d / 'hard.png').read_bytes() == other.read_bytes() == _photo(tmp_path / 'x.png').read_bytes()

def test_force_replaces_only_its_own_earlier_files(vae_run, tmp_path, capsys):
    d = tmp_path / 'd'; photo = _photo(tmp_path / 'cat.png')
    assert _cli(['inpaint', vae_run, photo, '--box', '50,40,40,30', '--out', d / 'o.png', '--samples', '3'], capsys)[0] == 0
    assert {'o_sample3.png', 'o_std.png'} <= set(_snapshot(d))
    (d / 'o_sample2.png').write_bytes(b'edited by the user since')         # no longer what the tool wrote
    code, err = _cli(['inpaint', vae_run, photo, '--box', '50,40,40,30', '--out', d / 'o.png', '--samples', '1', '--force'], capsys)
    assert code == 0, err                                                  # sample 2 is not among the new files
    files = _snapshot(d)
    assert 'o_sample3.png' not in files and 'o_std.png' not in files        # its own extra files of the first call: gone
    assert files['o_sample2.png'] == b'edited by the user since'            # a file it wrote, changed since: kept
    assert _cli(['inpaint', vae_run, photo, '--box', '50,40,40,30', '--out', d / 'o.png', '--samples', '3', '--force'], capsys)[0] == 2
    (d / 'o_sample2.png').unlink()
    assert _cli(['inpaint', vae_run, photo, '--box', '50,40,40,30', '--out', d / 'o.png', '--samples', '3', '--force'], capsys)[0] == 0
    before = (d / 'o_sample3.png').read_bytes()                             # its own output, now read as the photo ...
    code, err = _cli(['inpaint', vae_run, d / 'o_sample3.png', '--box', '50,40,40,30', '--out', d / 'o.png', '--force'], capsys)
    assert code == 0, err
    assert (d / 'o_sample3.png').read_bytes() == before                     # ... is an input: never deleted

# --- 2. catvae evaluate never writes into a study --------------------------------------------------------------------

def test_evaluate_cannot_replace_a_studys_results(done, photo_dir, tmp_path, capsys):
    study = tmp_path / 'study'; shutil.copytree(done, study)
    photos = tmp_path / 'p'; shutil.copytree(photo_dir, photos)
    before = _snapshot(study)
    for out in (study, study / 'mean_fill', study / 'mean_fill' / 'deeper', photos, photos / 'scores'):
        code, err = _cli(['evaluate', study, '--photos', photos, '--out', out, '--force', '--n-max', 12, '--no-report'], capsys)
        assert code == 2 and err.count('\n') == 1 and '--force' not in err, err
    other = tmp_path / 'someone'; other.mkdir(); (other / 'notes.txt').write_text('mine')
    code, err = _cli(['evaluate', study, '--photos', photos, '--out', other, '--force', '--n-max', 12, '--no-report'], capsys)
    assert code == 2 and 'did not write' in err and (other / 'notes.txt').read_text() == 'mine'
    assert _snapshot(study) == before and _snapshot(photos) == _snapshot(photo_dir)
    assert run_study(_cfg(photo_dir), out=study, log=lambda s: None, report=False) == {'mean_fill': 'skipped'}   # still its own results

def test_evaluate_force_replaces_only_its_own_scores(done, photo_dir, tmp_path, capsys):
    study = tmp_path / 'study'; shutil.copytree(done, study)
    ev = tmp_path / 'ev'
    args = ['evaluate', study, '--photos', photo_dir, '--out', ev, '--n-max', 12, '--no-report', '--no-progress']
    assert _cli(args, capsys)[0] == 0
    code, err = _cli(args, capsys)
    assert code == 2 and 'earlier evaluate' in err and '--force' in err
    (ev / 'my_notes.txt').write_text('kept'); (ev / 'mean_fill' / 'extra.txt').write_text('kept too')
    assert _cli(args + ['--force'], capsys)[0] == 0
    assert (ev / 'my_notes.txt').read_text() == 'kept' and (ev / 'mean_fill' / 'extra.txt').read_text() == 'kept too'
    assert len(load_runs(ev)[0]) == 1
    assert not any((tmp_path / 'cache').glob('images_*')) if (tmp_path / 'cache').exists() else True   # no copy of the photos kept

# --- 3.-9. bad input stops in one line, before any model -------------------------------------------------------------

def test_empty_models_is_an_error(photo_dir, tmp_path):
    with pytest.raises(StudyError, match='--models is empty'):
        run_study(_cfg(photo_dir), out=tmp_path / 'o', models='', log=lambda s: None)
    assert not (tmp_path / 'o').exists()

def test_one_folder_holds_one_test_set(done, photo_dir, tmp_path):
    study = tmp_path / 'study'; shutil.copytree(done, study)
    cfg = {**_cfg(photo_dir, n_eval=4), 'models': {'biharmonic': {}}}
    with pytest.raises(StudyError, match=r"mean_fill: finished with another test set .*n_eval 6.*--out"):
        run_study(cfg, out=study, log=lambda s: None, report=False)
    assert not (study / 'biharmonic').exists()
    other = tmp_path / 'other'                                              # the same runs made apart, then put together by hand
    run_study(cfg, out=other, log=lambda s: None, report=False)
    shutil.copytree(other / 'biharmonic', study / 'biharmonic')
    s, _, failed = load_runs(study)
    assert len(s) == 1 and 'another test set' in list(failed.values())[0] and 'n_eval' in list(failed.values())[0]

def test_unwritable_out_is_one_line_before_any_work(done, vae_run, photo_dir, tmp_path, capsys):
    photo = _photo(tmp_path / 'cat.png')
    (tmp_path / 'afile').write_text('x')
    for out in ('/sys/catvae-test/o.png', tmp_path / 'afile' / 'o.png'):
        t0 = time.time()
        code, err = _cli(['inpaint', vae_run, photo, '--box', '50,40,40,30', '--out', out], capsys)
        assert code == 2 and err.count('\n') == 1 and 'Traceback' not in err, err
    code, err = _cli(['evaluate', done, '--photos', photo_dir, '--out', '/sys/catvae-test/ev'], capsys)
    assert code == 2 and err.count('\n') == 1 and 'cannot write' in err, err
    code, err = _cli(['study', '--config', 'smoke', '--models', 'mean_fill', '--out', '/sys/catvae-test/s'], capsys)
    assert code == 2 and 'cannot write' in err and 'Traceback' not in err, err

def test_exif_orientation_of_a_phone_photo(vae_run, tmp_path, capsys):
    stored = Image.fromarray(np.full((300, 400, 3), 120, np.uint8))        # stored 400 wide, 300 high ...
    exif = stored.getexif(); exif[0x0112] = 6                              # ... shown rotated: 300 wide, 400 high
    stored.save(tmp_path / 'phone.jpg', exif=exif)
    m = np.zeros((400, 300), np.uint8); m[100:200, 50:150] = 255            # drawn on the photo as viewers show it
    Image.fromarray(m).save(tmp_path / 'mask.png')
    code, err = _cli(['inpaint', vae_run, tmp_path / 'phone.jpg', '--mask', tmp_path / 'mask.png', '--out', tmp_path / 'o.png'], capsys)
    assert code == 0, err
    assert Image.open(tmp_path / 'o.png').size == (300, 400)

def test_settings_that_cannot_run_are_one_line_each(photo_dir, tmp_path, capsys):
    out = tmp_path / 'never'
    with pytest.raises(StudyError, match='epochs must be at least 1 for a model that learns'):
        run_study({**_cfg(photo_dir, epochs=0), 'models': {'unet': {}}}, out=out, log=lambda s: None)
    with pytest.raises(StudyError, match=r'n_eval is 5000 but the test set .* holds 6 images'):
        run_study(_cfg(photo_dir, n_eval=5000), out=out, log=lambda s: None)
    assert not out.exists()
    for body, msg in (('[{"models": {}}]', 'got a list'), ('{"models": {"vae": ["epochs", 1]}}', 'not so for')):
        (tmp_path / 'c.json').write_text(body)
        code, err = _cli(['study', '--config', tmp_path / 'c.json', '--out', out], capsys)
        assert code == 2 and msg in err and err.count('\n') == 1 and 'Traceback' not in err, err
    code, err = _cli(['study', '--set', 'epochs=x', '--set', 'lr=y', '--set', 'nope=1', '--out', out], capsys)
    assert code == 2 and err.count('\n') == 3, err                         # every bad --set, not only the first

def test_classical_fill_ignores_training_settings(done, photo_dir):
    assert run_study(_cfg(photo_dir, epochs=3, lr=0.5), out=done, log=lambda s: None, report=False) == {'mean_fill': 'skipped'}

def test_seeds_names_the_damaged_runs(done, tmp_path, capsys):
    study = tmp_path / 'study'; shutil.copytree(done, study)
    (study / 'mean_fill' / 'metrics.json').write_text('{ not json')
    with pytest.raises(ValueError, match=r'no finished runs in .*mean_fill: damaged file'): load_seeds([study])
    code, err = _cli(['seeds', study], capsys)
    assert code == 2 and 'mean_fill' in err

def test_seeds_names_a_missing_folder(done, tmp_path, capsys):
    "A folder that does not exist is named as missing, not as a study of other settings."
    code, err = _cli(['seeds', done, tmp_path / 'nosuch'], capsys)
    assert code == 2 and 'no such study folder' in err and 'nosuch' in err and 'other settings' not in err, err

def test_report_names_what_it_cannot_show_on_the_console(done, tmp_path):
    study = tmp_path / 'study'; shutil.copytree(done, study)
    shutil.copytree(study / 'mean_fill', study / 'broken'); (study / 'broken' / 'per_image.csv').write_text('protocol,image\n')
    lines = []
    render_report(study, log=lines.append)
    assert any('broken is not shown' in l and 'damaged' in l for l in lines), lines

def test_skipped_photo_warning_is_one_line(done, photo_dir, tmp_path):
    "As a user sees it (a process of its own: pytest records warnings instead of printing them)."
    import subprocess, sys
    photos = tmp_path / 'p'; photos.mkdir(); (photos / 'zz_broken.jpg').write_bytes(b'not a jpeg')
    for p in sorted(photo_dir.iterdir())[:12]: shutil.copy(p, photos / p.name)
    r = subprocess.run([sys.executable, '-c', 'import sys; from catvae.cli import main; sys.exit(main())', 'evaluate', str(done),
                        '--photos', str(photos), '--out', str(tmp_path / 'ev'), '--no-report', '--no-progress'],
                       capture_output=True, text=True)
    assert r.returncode == 0 and 'catvae: warning: skipped 1 of 13' in r.stderr and 'warnings.warn' not in r.stderr, r.stderr
