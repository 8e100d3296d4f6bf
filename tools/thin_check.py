"""How good a start the backbone's input fill gives on thin strokes, on the validation split (never the test images).

The networks read the push-pull fill (`catvae.backbone.push_pull_fill`) and correct it; on thin strokes they end up
behind the biharmonic fill, so the question is how far the input starts behind and whether more smoothing closes it.
Prints the hole PSNR of biharmonic and of push-pull at several smoothing steps per level, per mask protocol.

    python tools/thin_check.py                       # 2,000-photo pool of the smoke config, its validation images
    python tools/thin_check.py --n-smooth 8,32,128 --protocols thin,medium
"""
import argparse
import torch
from catvae.core import build_model
from catvae.data import load_cats
from catvae.masking import eval_masks, composite, EVAL_SEED
from catvae.metrics import hole_metrics
from catvae.backbone import push_pull_fill

VAL_MASK_SEED = EVAL_SEED + 1   # validation masks: not the test masks


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument('--n-images', type=int, default=2000, help="training pool drawn from the offline photos")
    ap.add_argument('--n-smooth', default='8,16,32,64', help="smoothing steps per pyramid level to try")
    ap.add_argument('--protocols', default='thin,medium,thick,box')
    a = ap.parse_args(argv)
    x = load_cats('shared', 64, n_max=a.n_images, progress=False).val.float() / 255     # (N, 3, 64, 64)
    bih = build_model('biharmonic', 64)
    print(f"hole PSNR (dB) on {len(x)} validation photos, validation masks\n")
    steps = [int(s) for s in a.n_smooth.split(',')]
    print('| protocol | biharmonic | ' + ' | '.join(f'push-pull {s}' for s in steps) + ' |')
    print('|---|---:|' + '---:|' * len(steps))
    for p in a.protocols.split(','):
        m = eval_masks(p, len(x), 64, seed=VAL_MASK_SEED)
        score = lambda y: float(hole_metrics(composite(x, y.clamp(0, 1), m), x, m)['hole_psnr'].mean())
        row = [score(bih.inpaint(x * (1 - m), m))] + [score(push_pull_fill(x * (1 - m), m, s)) for s in steps]
        print(f'| {p} | ' + ' | '.join(f'{v:.2f}' for v in row) + ' |')


if __name__ == '__main__':
    with torch.no_grad(): main()
