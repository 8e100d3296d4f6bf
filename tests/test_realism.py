"The realism critic's two-sample test (catvae.realism; 05b_realism has the lessons on photos)."
import torch
from catvae.data import load_cats, to_float
from catvae.masking import eval_masks
from catvae.realism import c2st


def _photos(n=200):
    return to_float(load_cats('synthetic', 32, n_max=n, progress=False).train[:n // 2 * 2])


def test_roles_and_folds_are_balanced_and_fixed():
    x = _photos(120); m = eval_masks('box', len(x), 32)
    a, b = c2st(x, x, m, epochs=1), c2st(x, x, m, epochs=1)
    assert (a.role == 'photo').sum() == len(x) // 2
    assert a.equals(b)                                                   # the same seeds: the same verdicts


def test_an_obvious_fill_is_caught_and_photos_are_not():
    x = _photos(240); m = eval_masks('box', len(x), 32)
    bright = x * (1 - m) + m                                             # a white hole
    caught = c2st(x, bright, m, epochs=8).correct.mean()
    same = c2st(x, x, m, epochs=8).correct.mean()
    assert caught > .9, caught
    assert abs(same - .5) < .15, same
