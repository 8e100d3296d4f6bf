"Calibration of the study's statistics on simulated per-image tables: intervals over images, seed-level tests, Holm."
import numpy as np
import pandas as pd
from catvae.metrics import bootstrap_ci
from catvae.study import seed_differences, compare_over_seeds, holm, paired_diff

def _study(rng, runs, n_seeds=3, n_img=50, n_prot=2, train_sd=.3, img_sd=2., noise_sd=.5):
    "Per-image table of `runs` ({name: true shift in dB}) over seeds; each training adds its own random shift."
    rows = []
    for s in range(n_seeds):
        img = rng.normal(18, img_sd, n_img)                                 # (n_img,) this seed's test images
        for m, shift in runs.items():
            luck = rng.normal(0, train_sd)
            for p in range(n_prot):
                rows.append(pd.DataFrame({'seed': s, 'model': m, 'protocol': f'p{p}', 'image': np.arange(n_img),
                                          'hole_psnr': img + shift + luck + rng.normal(0, noise_sd, n_img)}))
    return pd.concat(rows, ignore_index=True)

def test_aa_false_positive_rate_is_nominal():
    "With no true difference, the seed-level procedure calls one in 2-10% of 400 simulated studies."
    rng = np.random.default_rng(1)
    calls = [compare_over_seeds(seed_differences(_study(rng, {'a': 0., 'a_again': 0.}), [('a_again', 'a')])).verdict.iloc[0]
             for _ in range(400)]
    fp = np.mean([c != 'no difference' for c in calls])
    assert .02 <= fp <= .10, fp

def test_family_wise_error_under_holm():
    "Five runs with no true differences, ten pairwise questions: Holm keeps any false call at or below ~5% of studies."
    rng = np.random.default_rng(2)
    runs = {f'm{i}': 0. for i in range(5)}
    pairs = [(a, b) for i, a in enumerate(runs) for b in list(runs)[i + 1:]]
    anyfp = np.mean([(compare_over_seeds(seed_differences(_study(rng, runs, n_img=30, n_prot=1), pairs)).verdict != 'no difference').any()
                     for _ in range(200)])
    assert anyfp <= .09, anyfp

def test_real_difference_is_found():
    "A 3 dB gain, stable over trainings, is called better in (nearly) every study."
    rng = np.random.default_rng(3)
    calls = [compare_over_seeds(seed_differences(_study(rng, {'a': 3., 'b': 0.}), [('a', 'b')])).verdict.iloc[0] for _ in range(50)]
    assert np.mean([c == 'better' for c in calls]) > .9

def test_a_run_against_itself_is_no_difference():
    per = _study(np.random.default_rng(4), {'a': 0.})
    per = pd.concat([per, per.assign(model='b')], ignore_index=True)
    r = compare_over_seeds(seed_differences(per, [('a', 'b')])).iloc[0]
    assert r['diff'] == 0 and r.verdict == 'no difference'

def test_image_bootstrap_is_wider_than_row_bootstrap():
    "Six protocols per image, correlated: resampling images widens the interval; the mean is the same."
    per = _study(np.random.default_rng(5), {'a': 0.}, n_seeds=1, n_img=200, n_prot=6)
    m1, lo1, hi1 = bootstrap_ci(per.hole_psnr)
    m2, lo2, hi2 = bootstrap_ci(per.hole_psnr, groups=per.image)
    assert m1 == m2 and (hi2 - lo2) > 1.5 * (hi1 - lo1)
    two = pd.concat([per, per.assign(model='b', hole_psnr=per.hole_psnr - 1)], ignore_index=True)
    d, lo, hi = paired_diff(two, 'a', 'b')
    assert abs(d - 1) < 1e-9 and abs(lo - 1) < 1e-9 and abs(hi - 1) < 1e-9

def test_holm_matches_hand_computation():
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.5]), [0.04, 0.09, 0.09, 0.5])
    np.testing.assert_allclose(holm([0.2]), [0.2])
