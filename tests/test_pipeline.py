"The papermill pipeline end to end: runner -> experiment notebook per model -> report HTML."
import json, re
from pathlib import Path
import pandas as pd
import pytest
from catvae.study import run_study, load_runs, render_report

@pytest.fixture(scope='module')
def study(photo_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp('study')
    cfg = {'name': 'pytest', 'defaults': {'source': str(photo_dir), 'size': 64, 'n_images': 0, 'epochs': 2, 'batch_size': 32,
                                          'lr': 0.002, 'n_eval': 12, 'n_samples': 3, 'device': 'cpu',
                                          'eval_protocols': 'box,thick,legacy'},
           'models': {'mean_fill': {}, 'vae': {'model_kwargs': {'ch': 8, 'max_ch': 32, 'z_ch': 4}},
                      'telea': {'model_kwargs': {'no_such_field': 1}}}}   # this one must fail
    logs = []
    status = run_study(cfg, out=out, log=logs.append)
    return cfg, out, status, logs

def test_runner_records_failure_and_keeps_going(study):
    cfg, out, status, logs = study
    assert status == {'mean_fill': 'ok', 'vae': 'ok', 'telea': 'failed'}
    st = json.loads((out / 'telea' / 'status.json').read_text())
    assert st['status'] == 'failed' and 'no_such_field' in st['error']

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
    assert 'telea failed' in text
    assert html.count('data:image/png;base64') >= 4          # plots and inpainting grids are embedded
    summary, per_image, failed = load_runs(out)
    assert set(summary.model) == {'vae', 'mean_fill'} and 'telea' in failed

def test_rerun_skips_finished_and_report_is_reproducible(study):
    cfg, out, _, _ = study
    before = (out / 'vae' / 'metrics.json').read_text()
    logs = []
    status = run_study(cfg, out=out, models='vae,mean_fill', log=logs.append, report=False)
    assert status == {'vae': 'skipped', 'mean_fill': 'skipped'}
    assert (out / 'vae' / 'metrics.json').read_text() == before
    s1, _, _ = load_runs(out); render_report(out); s2, _, _ = load_runs(out)
    pd.testing.assert_frame_equal(s1, s2)

@pytest.mark.parametrize('name', sorted(p.stem for p in (Path(__file__).parents[1] / 'configs').glob('*.json')))
def test_every_config_builds_its_models(name):
    "Each shipped study config names known models with model_kwargs their configs accept (a typo fails here, not on the GPU)."
    from catvae.study import load_config
    from catvae.core import build_model
    cfg = load_config(name)
    for model, opts in cfg['models'].items():
        net = build_model(model, cfg['defaults'].get('size', 64), **opts.get('model_kwargs', {}))
        for k, v in opts.get('model_kwargs', {}).items(): assert getattr(net.cfg, k) == v, (model, k)

def test_study_accepts_exactly_the_experiment_parameters():
    "The runner's list of allowed parameters matches the experiment notebook's papermill parameters cell."
    import ast
    from catvae.study import EXPERIMENT_PARAMS, template
    nb = json.loads(template('experiment').read_text())
    cell = next(c for c in nb['cells'] if 'parameters' in c['metadata'].get('tags', []))
    names = {t.id for node in ast.parse(''.join(cell['source'])).body if isinstance(node, ast.Assign) for t in node.targets}
    assert names == EXPERIMENT_PARAMS

def test_report_compares_seed_folders(study, tmp_path):
    "A study folder with `<name>-seedS` siblings gets the across-seeds table in its report."
    import shutil
    _, out, _, _ = study
    root = tmp_path / 'st'; shutil.copytree(out, root, ignore=shutil.ignore_patterns('ckpt', '*.ipynb', 'report.html'))
    sib = tmp_path / 'st-seed1'; shutil.copytree(root, sib)
    st = json.loads((sib / 'study.json').read_text()); st['defaults']['seed'] = 1
    (sib / 'study.json').write_text(json.dumps(st))
    html = render_report(root).read_text()
    assert 'seed 1 (st-seed1)' in html and 'n_seeds' in html
