"""How good a start the backbone's input fill gives, thin strokes first, on the validation split (never the
test images).

The networks read the push-pull fill (`catvae.backbone.push_pull_fill`), refined towards biharmonic by a few
conjugate-gradient steps (`biharmonic_refine`), and correct it. The membrane alone (setting 8:0) starts about
1.3 dB behind the biharmonic fill on thin strokes. Prints the hole PSNR of biharmonic and of the input fill at
each pair of settings (smoothing steps per pyramid level, refinement iterations), per mask protocol, and each
pair's time per 32 images. The backbone's defaults (`UNetConfig.n_smooth`, `n_biharmonic`) were chosen from
this table.

    python tools/thin_check.py   # 2,000-photo pool of the smoke config, its validation images
    python tools/thin_check.py --settings 8:0,8:10,4:12 --protocols thin,medium
"""
import argparse
import time
import torch
from catvae.core import build_model
from catvae.data import load_cats
from catvae.masking import eval_masks, composite, EVAL_SEED
from catvae.metrics import hole_metrics
from catvae.backbone import input_fill

VAL_MASK_SEED = EVAL_SEED + 1   # validation masks: not the test masks


def ms_per_32(x, m, ns, nb, reps=10):
    "Milliseconds per batch of 32 images (after one warm-up call)."
    input_fill(x[:32], m[:32], ns, nb)
    t = time.perf_counter()
    for _ in range(reps): input_fill(x[:32], m[:32], ns, nb)
    return (time.perf_counter() - t) / reps * 1e3


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument('--n-images', type=int, default=2000, help="training pool drawn from the offline photos")
    ap.add_argument('--settings', default='8:0,8:10,8:15,8:20,8:30,4:12',
                    help="n_smooth:n_biharmonic pairs to try")
    ap.add_argument('--protocols', default='thin,medium,thick,box')
    a = ap.parse_args(argv)
    try:
        pairs = [tuple(int(v) for v in s.split(':')) for s in a.settings.split(',')]
        assert all(len(p) == 2 and min(p) >= 0 for p in pairs)
    except (ValueError, AssertionError):
        ap.error(f"--settings must be n_smooth:n_biharmonic pairs of non-negative integers, "
                 f"got {a.settings!r}")
    x = load_cats('shared', 64, n_max=a.n_images, progress=False).val.float() / 255   # (N, 3, 64, 64)
    bih = build_model('biharmonic', 64)
    print(f"hole PSNR (dB) on {len(x)} validation photos, validation masks; "
          f"input fill = push-pull with n_smooth steps per level, then n_biharmonic CG steps\n")
    print('| protocol | biharmonic | ' + ' | '.join(f'{ns}:{nb}' for ns, nb in pairs) + ' |')
    print('|---|---:|' + '---:|' * len(pairs))
    for p in a.protocols.split(','):
        m = eval_masks(p, len(x), 64, seed=VAL_MASK_SEED)
        score = lambda y: float(hole_metrics(composite(x, y.clamp(0, 1), m), x, m)['hole_psnr'].mean())
        row = [score(bih.inpaint(x * (1 - m), m))] + [score(input_fill(x, m, *pr)) for pr in pairs]
        print(f'| {p} | ' + ' | '.join(f'{v:.2f}' for v in row) + ' |', flush=True)
    m = eval_masks('mixed', 32, 64, seed=VAL_MASK_SEED)
    print(f'| ms per 32 images ({torch.get_num_threads()} threads) | | '
          + ' | '.join(f'{ms_per_32(x, m, *pr):.0f}' for pr in pairs) + ' |')


if __name__ == '__main__':
    with torch.no_grad(): main()
