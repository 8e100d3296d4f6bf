"""Calibration of the study's verdicts (issue 24): the crossed seed x image procedure on thousands of vectorised null
studies with a fixed test set, the planted bugs it must catch, its reference p-values, the four verdicts end to end
through `catvae seeds`, and one choice of the reference fill shared by the study, its report and the results tables."""
import contextlib, io, sys
from pathlib import Path
import numpy as np
import pandas as pd
import pytest
from scipy import stats as st
import catvae.stats as cs
from catvae.core import atomic_write_json, EVAL_PROTOCOL
from catvae.metrics import bootstrap_ci
from catvae.stats import (mean_squares, crossed_from_ms, crossed_test, verdicts, calibration, CALIBRATION_BAND, compare_runs,
                          paired_diff, paired_differences, detectable_gap, seeds_needed, reference_runs)

def _calibrated(rates: dict) -> bool:
    lo, hi = CALIBRATION_BAND
    return all(lo <= r <= hi for r in rates.values())

def test_false_calls_are_nominal_with_a_fixed_test_set():
    "No true difference, one fixed test set per study with a model x image effect: false calls within 3.5-6.5% in every case."
    rates = calibration()
    assert _calibrated(rates), rates
    assert calibration(seed=2).keys() == rates.keys()

def test_planted_bugs_make_the_calibration_fail(monkeypatch):
    "S degrees of freedom for the seeds, or alpha = 0.10, or the old t over seeds alone: each fails the same check."
    def s_df(ms):                                                     # the bug where it would be made: in the mean squares
        S = ms['S']; return {**ms, 'ms_s': ms['ms_s'] * (S - 1) / S, 'df_s': S}
    real = cs.mean_squares
    monkeypatch.setattr(cs, 'mean_squares', lambda d: s_df(real(d)))
    assert not _calibrated(calibration())
    monkeypatch.setattr(cs, 'mean_squares', real)
    monkeypatch.setattr(cs, 'ALPHA', .10)                             # the study's alpha set wrong
    assert not _calibrated(calibration())
    monkeypatch.setattr(cs, 'ALPHA', .05)
    def seeds_only(d):
        s = d.mean(-1); n = s.shape[-1]
        return {'mean': s.mean(-1), 'se': s.std(-1, ddof=1) / np.sqrt(n), 'df': np.full(s.shape[:-1], n - 1.)}
    assert not _calibrated(calibration(seeds_only))
    assert _calibrated(calibration())                                 # and the real one, restored, passes

def test_p_values_match_the_references():
    "Without image variation the procedure is the one-sample t-test of the seed means; the mean squares match a least-squares fit."
    rng = np.random.default_rng(0)
    for S in (2, 3, 5):
        means = rng.normal(.1, .2, S)
        r = crossed_test(np.repeat(means[:, None], 30, 1))
        ref = st.ttest_1samp(means, 0)
        np.testing.assert_allclose(r['p'], ref.pvalue, rtol=1e-10); np.testing.assert_allclose(r['df'], S - 1)
    d = rng.normal(size=(4, 9)); S, I = d.shape
    X = np.hstack([np.kron(np.eye(S), np.ones((I, 1))), np.kron(np.ones((S, 1)), np.eye(I))[:, 1:]])
    res = d.ravel() - X @ np.linalg.lstsq(X, d.ravel(), rcond=None)[0]
    np.testing.assert_allclose(mean_squares(d)['ms_e'], (res ** 2).sum() / ((S - 1) * (I - 1)))

def test_vectorised_equals_one_by_one():
    d = np.random.default_rng(1).normal(size=(5, 3, 20))
    many = crossed_test(d)
    for k in range(5): np.testing.assert_allclose(crossed_test(d[k])['p'], many['p'][k])

def test_a_run_against_itself_is_equivalent_and_a_real_gain_is_better():
    rng = np.random.default_rng(3)
    img = rng.normal(18, 2, 60)
    rows = lambda m, s, shift: pd.DataFrame({'seed': s, 'model': m, 'protocol': 'box', 'image': np.arange(60),
                                             'hole_psnr': img + shift + rng.normal(0, .05) + rng.normal(0, .3, 60)})
    per = pd.concat([rows(m, s, sh) for s in range(3) for m, sh in (('a', 0.), ('b', 1.))], ignore_index=True)
    per = pd.concat([per, per[per.model == 'a'].assign(model='a_copy')], ignore_index=True)
    c = compare_runs(per, [('a_copy', 'a', 'A/A: itself'), ('b', 'a', 'q1'), ('a', 'b', 'q2')]).set_index(['a', 'b'])
    assert c.loc[('a_copy', 'a'), 'verdict'] == 'equivalent' and c.loc[('a_copy', 'a'), 'diff'] == 0
    assert c.loc[('b', 'a'), 'verdict'] == 'better' and c.loc[('a', 'b'), 'verdict'] == 'worse'
    assert c.loc[('b', 'a'), 'm'] == 2 and c.loc[('a_copy', 'a'), 'm'] == 1      # the A/A question alone, unadjusted

def test_intervals_match_the_bonferroni_verdict():
    "The verdict's interval excludes 0 exactly when the Bonferroni-adjusted p is below alpha."
    rng = np.random.default_rng(4)
    mean, se, df = rng.normal(0, .1, 500), rng.uniform(.01, .1, 500), rng.uniform(2, 30, 500)
    for m in (1, 7):
        v = verdicts(mean, se, df, m=m, margin=0.)
        p_adj = np.minimum(1, m * 2 * st.t.sf(np.abs(mean / se), df))
        np.testing.assert_array_equal((v['low'] > 0) | (v['high'] < 0), p_adj < .05)

def test_power_shrinks_with_seeds_down_to_the_image_floor():
    d = np.random.default_rng(5).normal(0, .5, (3, 100)) + np.random.default_rng(6).normal(0, .05, (3, 1))
    ms = mean_squares(d)
    gaps = [detectable_gap(ms, S) for S in (3, 10, 100)]
    assert gaps[0] > gaps[1] > gaps[2] > 0
    assert seeds_needed(ms, gaps[1]) <= 10 and seeds_needed(ms, 1e-4) is None

def _fake_study(root: Path, seed: int, runs: dict):
    "A seed folder of fake runs on one fixed test set; runs: {name: (kind, test shift dB, validation score, model type, offset)}."
    root.mkdir(parents=True); atomic_write_json(root / 'study.json', {'defaults': {'seed': seed}})
    img = np.random.default_rng(0).normal(15, 2, 40)                          # the same test images in every seed
    rng = np.random.default_rng(seed + 10)
    for m, (kind, shift, val, typ, tso) in runs.items():
        (root / m).mkdir()
        luck = 0 if kind == 'classical' else rng.normal(0, .05)
        pd.DataFrame({'protocol': 'box', 'image': range(40), 'hole_frac': .15, 'bucket': '10-20',
                      'hole_psnr': img + shift + luck + rng.normal(0, .3, 40)}
                     ).to_csv(root / m / 'per_image.csv', index=False)
        atomic_write_json(root / m / 'params.json', {'model': typ, 'eval_protocol': EVAL_PROTOCOL, 'train_seed_offset': tso})
        atomic_write_json(root / m / 'metrics.json', {'model': typ, 'n_params': 0 if kind == 'classical' else 10,
                                                      'summary': {'overall': {}}, 'final_val': {'hole_psnr': val},
                                                      'samples': {'sample_psnr': 0.} if kind == 'sampler' else {}})

# test scores favour fill_b; validation favours fill_a: the reference must be fill_a everywhere
RUNS = {'fill_a': ('classical', 0., 20., 'fill_a', 0), 'fill_b': ('classical', .5, 19., 'fill_b', 0),
        'net': ('deterministic', 2., 22., 'net', 0), 'vae': ('sampler', 2., 22., 'vae', 0), 'vae_again': ('sampler', 2., 22., 'vae', 1)}

@pytest.fixture
def seed_folders(tmp_path):
    folders = [tmp_path / ('study' if s == 0 else f'study-seed{s}') for s in range(3)]
    for s, f in enumerate(folders): _fake_study(f, s, RUNS)
    return folders

def test_catvae_seeds_end_to_end(seed_folders):
    from catvae.cli import main
    out = io.StringIO()
    with contextlib.redirect_stdout(out): assert main(['seeds', *map(str, seed_folders)]) == 0
    text = out.getvalue()
    table = text[text.index('verdicts over'):]
    assert 'equivalent within +-0.1 dB' in table
    first = table.splitlines()[2]
    assert first.split()[:2] == ['vae_again', 'vae'] and 'A/A' in first and ('equivalent' in first or 'inconclusive' in first)
    assert 'better' in table and 'fill_b' not in table                # the reference fill is fill_a (validation)

def test_reference_fill_is_chosen_on_validation_by_everyone(seed_folders):
    "The study's questions, its report's comparisons and tools/results_tables.py all compare with fill_a (best on validation)."
    from catvae.results import load_seeds, comparison_pairs, study_comparisons
    sys.path.insert(0, str(Path(__file__).parents[1] / 'tools'))
    import results_tables
    summary, _ = load_seeds(seed_folders)
    assert summary.groupby('model').hole_psnr.mean().idxmax() != 'fill_a'
    assert reference_runs(summary)['classical'] == 'fill_a'
    assert {b for a, b, q in comparison_pairs(summary) if 'classical' in q} == {'fill_a'}
    assert set(study_comparisons(seed_folders).query("question == 'over the best classical fill'").b) == {'fill_a'}
    assert results_tables._best_classical(summary) == 'fill_a'
    assert '| model | seed 0 | seed 1 | seed 2 | mean | minus fill_a' in results_tables.seeds_table(seed_folders)
    assert 'minus fill_a' in results_tables.family_table(seed_folders, old='net')
    broken = summary.copy(); broken.loc[broken.model == 'fill_b', 'val_hole_psnr'] = np.nan
    with pytest.raises(ValueError, match='no validation score for fill_b'): reference_runs(broken)

def test_image_bootstrap_is_wider_than_row_bootstrap():
    "Six protocols per image, correlated: resampling images widens the interval; the mean is the same."
    rng = np.random.default_rng(5)
    img = rng.normal(18, 2, 200)
    per = pd.concat([pd.DataFrame({'model': 'a', 'protocol': f'p{p}', 'image': np.arange(200), 'hole_psnr': img + rng.normal(0, .5, 200)})
                     for p in range(6)], ignore_index=True)
    m1, lo1, hi1 = bootstrap_ci(per.hole_psnr)
    m2, lo2, hi2 = bootstrap_ci(per.hole_psnr, groups=per.image)
    assert m1 == m2 and (hi2 - lo2) > 1.5 * (hi1 - lo1)
    two = pd.concat([per, per.assign(model='b', hole_psnr=per.hole_psnr - 1)], ignore_index=True)
    d, lo, hi = paired_diff(two, 'a', 'b')
    assert abs(d - 1) < 1e-9 and abs(lo - 1) < 1e-9 and abs(hi - 1) < 1e-9
