#!/usr/bin/env python
r"""Write a generated 400x300 stand-in cat photo and a hole mask for trying `catvae inpaint` (and for the
README's picture).

The offline cat photos are licensed for research only and may not be copied into this repository, so the
README's example uses this drawing instead (any finished run works in place of `runs/smoke/vae`):

    python tools/example_photo.py outputs/example
    catvae inpaint runs/smoke/vae outputs/example/cat.jpg --mask outputs/example/mask.png \
        --out outputs/example/vae.png --samples 4
"""
import sys
from pathlib import Path
import numpy as np
from PIL import Image
from catvae.data import synthetic_cats

def main(out='outputs/example'):
    out = Path(out); out.mkdir(parents=True, exist_ok=True)
    cat = synthetic_cats(1, 304, seed=5)[0].permute(1, 2, 0).numpy()          # (304, 304, 3) uint8
    Image.fromarray(cat).resize((400, 300), Image.BICUBIC).save(out / 'cat.jpg', quality=92)
    m = np.zeros((300, 400), np.uint8)
    m[70:140, 180:290] = 255                                                  # a box over an eye and an ear
    yy, xx = np.mgrid[0:300, 0:400]
    m[(np.abs(yy - (0.35 * xx + 130)) < 7) & (xx > 60) & (xx < 330)] = 255    # a thick diagonal stroke
    Image.fromarray(m).save(out / 'mask.png')
    print(out / 'cat.jpg', out / 'mask.png')

if __name__ == '__main__':
    if any(a in ('-h', '--help') for a in sys.argv[1:]): print(__doc__); raise SystemExit(0)
    if bad := [a for a in sys.argv[1:] if a.startswith('-')] or sys.argv[2:]:
        print(f"example_photo: takes one output folder, not {' '.join(bad)} (see --help)", file=sys.stderr)
        raise SystemExit(2)
    main(*sys.argv[1:])
