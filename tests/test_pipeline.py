"The papermill pipeline end to end: runner -> experiment notebook per model -> report HTML."
import json, re
from pathlib import Path
import numpy as np
import pandas as pd
import pytest
from catvae.results import load_runs
from catvae.study import run_study, render_report

@pytest.fixture(scope='module')
def study(photo_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp('study')
    cfg = {'name': 'pytest', 'defaults': {'source': str(photo_dir), 'size': 64, 'n_images': 0, 'epochs': 5, 'batch_size': 32,
                                          'lr': 0.002, 'n_eval': 12, 'n_samples': 3, 'device': 'cpu',
                                          'eval_protocols': 'box,thick,legacy'},
           'models': {'mean_fill': {}, 'vae': {'model_kwargs': {'ch': 8, 'max_ch': 32, 'z_ch': 4}},
                      'vae_again': {'model': 'vae', 'train_seed_offset': 1, 'model_kwargs': {'ch': 8, 'max_ch': 32, 'z_ch': 4}},
                      'broken': {'model': 'vae', 'model_kwargs': {'ch': 8, 'max_ch': 32, 'z_ch': 4, 'z_res': 7}}}}   # fails when built
    logs = []
    status = run_study(cfg, out=out, log=logs.append, overrides={'epochs': 2})   # as `--set epochs=2`
    return cfg, out, status, logs

def test_runner_records_failure_and_keeps_going(study):
    cfg, out, status, logs = study
    assert status == {'mean_fill': 'ok', 'vae': 'ok', 'vae_again': 'ok', 'broken': 'failed'}
    st = json.loads((out / 'broken' / 'status.json').read_text())
    assert st['status'] == 'failed' and 'z_res' in st['error']
    assert any('broken' in l and 'z_res' in l and 'experiment.ipynb' in l for l in logs)   # the reason, on the console

def test_progress_lines_and_overrides(study):
    "The console shows each epoch of a training run; `overrides` (--set) beat the config's own value."
    cfg, out, _, logs = study
    assert any(re.search(r'vae: epoch 2/2, val loss [-\d.e+]+, val hole PSNR [\d.]+ dB', l) for l in logs), logs
    assert json.loads((out / 'vae' / 'params.json').read_text())['epochs'] == 2

def test_a_model_trained_twice_is_two_runs(study):
    "`vae_again` is the VAE trained with another seed on the same data and masks: its own outputs, the same test rows."
    _, out, _, _ = study
    a, b = (pd.read_csv(out / r / 'per_image.csv') for r in ('vae', 'vae_again'))
    assert (a[['protocol', 'image']].values == b[['protocol', 'image']].values).all() and not a.hole_psnr.equals(b.hole_psnr)
    summary, _, _ = load_runs(out)
    t = summary.set_index('model')
    assert t.model_type['vae_again'] == 'vae' and t.train_seed_offset['vae_again'] == 1 and t.kind['vae'] == 'sampler'

def test_run_outputs(study):
    _, out, _, _ = study
    run = out / 'vae'
    for f in ('params.json', 'metrics.json', 'curves.csv', 'per_image.csv', 'split.json', 'figures/curves.png',
              'figures/grid.png', 'figures/uncertainty.png', 'ckpt/last.pt', 'experiment.ipynb'):
        assert (run / f).exists(), f
    met = json.loads((run / 'metrics.json').read_text())
    assert met['status'] == 'ok' and set(met['summary']['per_protocol']) == {'box', 'thick', 'legacy'}
    assert met['summary']['overall']['hole_psnr']['low'] <= met['summary']['overall']['hole_psnr']['mean']
    assert set(met['unavailable']) <= {'lpips', 'fid'}
    split = json.loads((run / 'split.json').read_text())
    assert not set(split['train']) & set(split['test'])

def test_report_has_rows_grids_and_failure(study):
    _, out, _, _ = study
    html = (out / 'report.html').read_text()
    text = re.sub(r'<[^>]+>', ' ', re.sub(r'<img[^>]*>', '', html))
    assert re.search(r'\bvae\b\s+\d+\.\d+ \[', text) and re.search(r'\bmean_fill\b\s+\d+\.\d+ \[', text)
    assert 'broken failed' in text
    assert html.count('data:image/png;base64') >= 4          # plots and inpainting grids are embedded
    summary, per_image, failed = load_runs(out)
    assert set(summary.model) == {'vae', 'vae_again', 'mean_fill'} and 'broken' in failed

def test_rerun_skips_finished_and_report_is_reproducible(study):
    cfg, out, _, _ = study
    before = (out / 'vae' / 'metrics.json').read_text()
    logs = []
    status = run_study(cfg, out=out, models='vae,mean_fill', log=logs.append, report=False, overrides={'epochs': 2})
    assert status == {'vae': 'skipped', 'mean_fill': 'skipped'}
    assert (out / 'vae' / 'metrics.json').read_text() == before
    s1, _, _ = load_runs(out); render_report(out); s2, _, _ = load_runs(out)
    pd.testing.assert_frame_equal(s1, s2)

@pytest.mark.parametrize('name', sorted(p.stem for p in (Path(__file__).parents[1] / 'configs').glob('*.json')))
def test_every_config_builds_its_models(name):
    "Each shipped study config names known models with model_kwargs their configs accept (a typo fails here, not on the GPU)."
    from catvae.config import load_config
    from catvae.core import build_model
    cfg = load_config(name)
    for model, opts in cfg['models'].items():
        net = build_model(opts.get('model', model), cfg['defaults'].get('size', 64), **opts.get('model_kwargs', {}))
        for k, v in opts.get('model_kwargs', {}).items(): assert getattr(net.cfg, k) == v, (model, k)

def test_runs_record_every_experiment_parameter(study):
    "params.json holds every parameter of the experiment notebook's parameters cell (the one list), so a changed setting is seen."
    from catvae.config import experiment_params, RUNNER_PARAMS
    _, out, _, _ = study
    rec = json.loads((out / 'vae' / 'params.json').read_text())
    assert set(experiment_params()) - set(RUNNER_PARAMS) <= set(rec)

def test_runs_choose_their_precision_and_threads(study):
    "cpu_bf16='auto' (the default): a learned run times both precisions and records the choice; every run records its threads and phases."
    _, out, _, _ = study
    rec, met = (json.loads((out / 'vae' / f).read_text()) for f in ('params.json', 'metrics.json'))
    probe = rec['precision_probe']
    assert rec['cpu_bf16'] == 'auto' and probe['fp32_s'] > 0 and probe['bf16_s'] > 0
    assert rec['scored_in'] == ('bf16' if probe['bf16'] else 'fp32')
    assert probe['bf16'] == (probe['bf16_s'] <= 0.9 * probe['fp32_s'])
    assert 'precision_probe' not in json.loads((out / 'mean_fill' / 'params.json').read_text())   # nothing to train
    assert 1 <= met['machine']['threads'] <= met['machine']['cores'] and met['machine']['cpu']
    assert {'data', 'train', 'score', 'samples', 'likelihood', 'figures'} <= set(met['phase_seconds'])

def test_set_unknown_key_is_one_line(capsys):
    from catvae.cli import main
    with pytest.raises(SystemExit) as e: main(['study', '--set', 'nope=1', '--models', 'vae'])
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count('\n') == 1 and 'nope=1' in err and 'epochs' in err

def test_report_compares_seed_folders(study, tmp_path):
    "A study folder with `<name>-seedS` siblings gets the across-seeds table in its report."
    import shutil
    _, out, _, _ = study
    root = tmp_path / 'st'; shutil.copytree(out, root, ignore=shutil.ignore_patterns('ckpt', '*.ipynb', 'report.html'))
    sib = tmp_path / 'st-seed1'; shutil.copytree(root, sib)
    st = json.loads((sib / 'study.json').read_text()); st['defaults']['seed'] = 1
    (sib / 'study.json').write_text(json.dumps(st))
    html = render_report(root).read_text()
    assert 'seed 1' in html and 'n_seeds' in html and 'A/A: the same model trained again' in html and 'p_adj' in html and 'gap_80' in html
    assert 'One training seed only' in render_report(out).read_text()

def _photo_and_mask(tmp_path):
    "A 400x300 JPEG cat (an offline photo or a generated one, resized) and a PNG mask of the same size."
    from PIL import Image
    from catvae.data import synthetic_cats
    im = Image.fromarray(synthetic_cats(1, 64, seed=3)[0].permute(1, 2, 0).numpy()).resize((400, 300), Image.BICUBIC)
    im.save(tmp_path / 'cat.jpg', quality=92)
    m = np.zeros((300, 400), np.uint8); m[90:170, 150:260] = 255; m[200:215, 40:360] = 255   # a box and a stroke
    Image.fromarray(m).save(tmp_path / 'mask.png')
    return tmp_path / 'cat.jpg', tmp_path / 'mask.png', m > 0

@pytest.mark.parametrize('run', ['vae', 'mean_fill'])
def test_inpaint_own_photo_cli(study, tmp_path, run):
    "`catvae inpaint` on a 400x300 JPEG with a PNG mask and with --box: full-size composite, known pixels kept."
    from PIL import Image
    from catvae.cli import main
    _, out, _, _ = study
    photo, mask, hole = _photo_and_mask(tmp_path)
    assert main(['inpaint', str(out / run), str(photo), '--mask', str(mask), '--out', str(tmp_path / 'a.png'), '--samples', '3']) == 0
    a, x = np.asarray(Image.open(tmp_path / 'a.png')), np.asarray(Image.open(photo).convert('RGB'))
    assert a.shape == (300, 400, 3) and (a[~hole] == x[~hole]).all() and (a[hole] != x[hole]).any()
    assert (tmp_path / 'a_panel.png').exists() and (tmp_path / 'a_std.png').exists() == (run == 'vae')
    assert main(['inpaint', str(out / run), str(photo), '--box', '150,90,110,80', '--out', str(tmp_path / 'b.png')]) == 0
    with pytest.raises(SystemExit):   # never overwrites without --force
        main(['inpaint', str(out / run), str(photo), '--box', '150,90,110,80', '--out', str(tmp_path / 'b.png')])

def test_inpaint_bad_input_is_one_line(study, tmp_path, capsys):
    from catvae.cli import main
    _, out, _, _ = study
    photo, mask, _ = _photo_and_mask(tmp_path)
    for args, msg in [(['--box', '390,290,50,50'], 'does not fit'), (['--box', 'x'], 'expected x,y,w,h'),
                      (['--mask', str(photo).replace('cat.jpg', 'none.png')], 'cannot read')]:
        with pytest.raises(SystemExit) as e: main(['inpaint', str(out / 'vae'), str(photo), *args, '--out', str(tmp_path / 'o.png')])
        err = capsys.readouterr().err
        assert e.value.code == 2 and msg in err and err.count('\n') == 1, err
    with pytest.raises(SystemExit): main(['inpaint', str(out / 'broken'), str(photo), '--box', '1,1,5,5', '--out', str(tmp_path / 'o.png')])
    assert 'has not finished' in capsys.readouterr().err

def test_evaluate_on_unseen_photos(study, tmp_path):
    "`catvae evaluate STUDY --photos DIR` scores every finished run on other photos and renders a report there."
    from PIL import Image
    from catvae.data import synthetic_cats
    from catvae.cli import main
    _, out, _, _ = study
    d = tmp_path / 'other'; d.mkdir()
    for i, im in enumerate(synthetic_cats(10, 64, seed=9)): Image.fromarray(im.permute(1, 2, 0).numpy()).save(d / f'o{i}.png')
    assert main(['evaluate', str(out), '--photos', str(d), '--out', str(tmp_path / 'ev')]) == 0
    s, per, _ = load_runs(tmp_path / 'ev')
    assert set(s.model) == {'vae', 'vae_again', 'mean_fill'} and len(per) == 3 * 10 * 3
    assert dict(zip(s.model, s.kind))['vae'] == 'sampler' and (tmp_path / 'ev' / 'report.html').exists()


def test_plain_executor_gives_the_papermill_numbers(photo_dir, tmp_path, monkeypatch):
    "Without a Jupyter kernel the experiment notebook runs as plain Python and scores every image exactly as papermill does."
    cfg = {'name': 'plain', 'defaults': {'source': str(photo_dir), 'size': 32, 'n_images': 60, 'epochs': 1, 'batch_size': 16,
                                         'n_eval': 6, 'n_samples': 2, 'device': 'cpu', 'eval_protocols': 'box,thin'},
           'models': {'mean_fill': {}, 'vae': {'model_kwargs': {'ch': 8, 'max_ch': 16, 'z_ch': 4}}}}
    tables = {}
    for ex in ('papermill', 'plain'):
        monkeypatch.setenv('CATVAE_EXECUTOR', ex)
        assert run_study(cfg, out=tmp_path / ex, log=lambda s: None, report=False) == {'mean_fill': 'ok', 'vae': 'ok'}
        tables[ex] = {m: pd.read_csv(tmp_path / ex / m / 'per_image.csv') for m in ('mean_fill', 'vae')}
    for m in ('mean_fill', 'vae'): pd.testing.assert_frame_equal(tables['plain'][m], tables['papermill'][m])
    nb = json.loads((tmp_path / 'plain' / 'vae' / 'experiment.ipynb').read_text())
    assert any('injected-parameters' in c['metadata'].get('tags', []) for c in nb['cells'])
    assert any(o.get('name') == 'stdout' and 'trained in' in o['text'] for c in nb['cells'] for o in c.get('outputs', []))

def test_runs_of_another_code_version_are_not_reused(study, tmp_path, monkeypatch):
    "A run records its model's code version; once the code moves on, its checkpoint is not loaded and the study does not skip it as finished (its scores stay a record)."
    import shutil
    from catvae.vae import VAE
    from catvae.inpaint import load_trained, RunError
    from catvae.config import _run_state, run_params
    cfg, out, _, _ = study
    copy = tmp_path / 's'; shutil.copytree(out / 'vae', copy / 'vae')
    from catvae.core import code_version
    v = code_version('vae')
    assert json.loads((copy / 'vae' / 'params.json').read_text())['model_version'] == v
    load_trained(copy / 'vae')                                              # today's version: loads
    monkeypatch.setattr(VAE, 'code_version', v + 1, raising=False)          # the code changes how its checkpoints decode
    with pytest.raises(RunError, match=f'version {v} of the vae code'): load_trained(copy / 'vae')
    assert load_trained(copy / 'vae', any_version=True)[1]['model_version'] == v   # on purpose: an archived run re-measured
    assert 'vae' in set(load_runs(copy)[0].model)                         # what it scored then is still a record
    state, why = _run_state(copy / 'vae', run_params(cfg, 'vae', copy, 'cpu'))
    assert state == 'differs' and f'code version {v} -> {v + 1}' in why
