#!/usr/bin/env python
"""Training and evaluation throughput of each model: catvae's device-resident pipeline vs a naive one.

The naive pipeline is what a first implementation usually does: a torch `Dataset` that opens each JPEG with
Pillow, centre-crops, resizes, converts to a tensor and flips it, draws that image's mask alone, and a
`DataLoader` that collates the batch. catvae's pipeline keeps the decoded uint8 tensor on the device and draws
whole batches of masks there (`catvae.training.device_batches`). Both feed the same model and the same
optimiser step, so the ratio isolates the input pipeline (plus bf16/channels_last on CUDA).

Models and their settings (batch size, image size, model kwargs) come from a study config, every model of it
by default. The naive pipeline decodes the photo files as they are on disk: the offline copies in ../shared are
already 64 px, far smaller than the Kaggle photos the real pipeline downloads, so `--photo-size 400` re-encodes the
same cats as 400 px JPEGs (about the size of a full Kaggle photo) in a temporary folder outside the repository,
deleted afterwards, and the naive pipeline decodes those.

    python benchmarks/throughput.py                         # every model of configs/smoke.json, offline photos
    python benchmarks/throughput.py --photo-size 400 --models vae,vqvae
    python benchmarks/throughput.py --cpu-bf16 --compile           # also catvae's path with its CPU speed options
    python benchmarks/throughput.py --config full --device cuda

Not a test: it prints a table and writes runs/bench/throughput-<config>-<device>[-options].json. Figures go into the README with the machine.
"""
import argparse, atexit, shutil, tempfile, time
from pathlib import Path
import torch
from PIL import Image
from torch.utils.data import Dataset, DataLoader
from catvae.core import build_model, get_device, seed_everything, runs_dir, atomic_write_json, machine_facts
from catvae.data import load_cats, list_images, load_image, resolve_source
from catvae.masking import make_masks, eval_masks
from catvae.metrics import evaluate_inpainter
from catvae.training import device_batches, configure_optimizers, default_step
from catvae.config import load_config

class NaiveCats(Dataset):
    "Decode one file per item with Pillow; mask drawn per image."
    def __init__(self, files, size, mask):
        self.files, self.size, self.mask = files, size, mask
    def __len__(self): return len(self.files)
    def __getitem__(self, i):
        x = torch.from_numpy(load_image(self.files[i][1], self.size)).float() / 255       # (3, S, S)
        if torch.rand(()) < .5: x = x.flip(-1)
        return x, make_masks(self.mask, 1, self.size)[0]                                   # (1, S, S)

def _sync(dev):
    if dev.type == 'cuda': torch.cuda.synchronize()

def time_steps(model, batches, opts, steps, dev, amp, warmup=3, fwd=None):
    "Images/s over `steps` training steps after `warmup`; `amp`: bf16 autocast on `dev`; `fwd`: e.g. the compiled model."
    it = iter(batches); n = 0
    ctx = torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp)
    step_fn = getattr(model, 'train_step', None)
    for i in range(warmup + steps):
        if i == warmup: _sync(dev); t0 = time.perf_counter()
        try: x, m = next(it)
        except StopIteration: it = iter(batches); x, m = next(it)
        x, m = x.to(dev, non_blocking=True), m.to(dev, non_blocking=True)
        with ctx:
            step_fn(x, m, opts, i, warmup + steps) if step_fn else default_step(model if fwd is None else fwd, x, m, opts, i)
        if i >= warmup: n += len(x)
    _sync(dev)
    return n / (time.perf_counter() - t0)

def large_copies(files, size: int, out: Path) -> list:
    "Re-encode `files` as `size` px JPEGs (quality 90) in `out`, standing in for full-size photos."
    res = []
    for name, f in files:
        with Image.open(f) as im: big = im.convert('RGB').resize((size, size), Image.BICUBIC)
        q = out / f"{len(res):06d}.jpg"; big.save(q, quality=90); res.append((name, q))
    return res

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--config', default='smoke', help="study config: models, their kwargs, batch size, image size")
    ap.add_argument('--models', default=None, help="comma-separated subset (default: every model of the config)")
    ap.add_argument('--source', default='auto')
    ap.add_argument('--batch-size', type=int, default=None, help="default: the config's")
    ap.add_argument('--steps', type=int, default=20)
    ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--device', default='auto')
    ap.add_argument('--n-images', type=int, default=4000)
    ap.add_argument('--cpu-bf16', action='store_true', help="also time catvae's path with bf16 autocast on the CPU (TrainConfig.cpu_bf16)")
    ap.add_argument('--compile', action='store_true', help="also time catvae's path with torch.compile (TrainConfig.compile; single-loss models)")
    ap.add_argument('--photo-size', type=int, default=0, help="re-encode the naive pipeline's photos at this size (0: as on disk)")
    a = ap.parse_args()
    cfg = load_config(a.config); d = cfg['defaults']
    names = a.models.split(',') if a.models else list(cfg['models'])
    bad = [n for n in names if n not in cfg['models']]
    if bad: raise SystemExit(f"model(s) {bad} not in the {cfg['name']!r} config; choose from {list(cfg['models'])}")
    size, bs = int(d.get('size', 64)), a.batch_size or int(d.get('batch_size', 64))
    dev = get_device(a.device); amp = dev.type == 'cuda'           # both pipelines, same precision
    opt_amp = amp or a.cpu_bf16                                       # catvae's path with its speed options
    data = load_cats(a.source, size, n_max=a.n_images, progress=False)
    kind, folders, _ = resolve_source(a.source, size)             # the training folders (not the test set)
    files = [f for f in list_images(folders) if f[0] in set(data.names['train'])] if kind == 'folder' else None
    if files and a.photo_size:
        tmp = Path(tempfile.mkdtemp(prefix='catvae-bench-')); atexit.register(shutil.rmtree, tmp, True)
        files = large_copies(files[:max(bs * (a.steps + 3), 512)], a.photo_size, tmp)
    rows = []
    for name in names:
        kw = cfg['models'][name].get('model_kwargs', {})
        seed_everything(0); model = build_model(name, size, **kw).to(dev)
        row = {'model': name}
        if any(p.requires_grad for p in model.parameters()):
            if dev.type == 'cuda': model.to(memory_format=torch.channels_last)
            opts = configure_optimizers(model, 1e-3); model.train()
            x_dev = data.train.to(dev)
            fast = lambda: device_batches(x_dev, bs, torch.Generator().manual_seed(0), 'mixed')
            row['train_fast_img_s'] = time_steps(model, _Restartable(fast), opts, a.steps, dev, amp)
            if files:
                dl = DataLoader(NaiveCats(files, size, 'mixed'), batch_size=bs, shuffle=True, num_workers=a.workers,
                                drop_last=True, persistent_workers=a.workers > 0)
                row['train_naive_img_s'] = time_steps(model, dl, opts, a.steps, dev, amp)
                row['speedup'] = row['train_fast_img_s'] / row['train_naive_img_s']
            if a.cpu_bf16 or a.compile:   # the whole catvae training path against the plain naive one
                fwd = torch.compile(model) if a.compile and not hasattr(model, 'train_step') else None
                row['compiled'] = fwd is not None
                try:
                    row['train_fast_opt_img_s'] = time_steps(model, _Restartable(fast), opts, a.steps, dev, opt_amp, fwd=fwd)
                    if 'train_naive_img_s' in row: row['speedup_opt'] = row['train_fast_opt_img_s'] / row['train_naive_img_s']
                except Exception as e:   # e.g. torch.compile without a working C++ toolchain: say so, keep the other rows
                    row['opt_error'] = f"{type(e).__name__}: {str(e)[:200]}"; print(f"{name}: speed options failed: {row['opt_error']}")
        model.eval(); n = min(512, len(data.test)); m = eval_masks('box', n, size)
        _sync(dev); t0 = time.perf_counter()
        evaluate_inpainter(model.inpaint, data.test[:n], m, batch_size=256, device=dev); _sync(dev)
        row['eval_img_s'] = n / (time.perf_counter() - t0)
        rows.append(row); print({k: (round(v, 1) if isinstance(v, float) else v) for k, v in row.items()}, flush=True)
    info = {**machine_facts(dev),
            'config': cfg['name'], 'bf16_autocast': amp, 'opt_bf16': opt_amp, 'opt_compile': a.compile, 'batch_size': bs, 'size': size, 'steps': a.steps, 'workers': a.workers,
            'naive_photos': f"{a.photo_size} px re-encoded JPEGs" if a.photo_size else 'files as on disk'}
    tag = f"{cfg['name']}-{dev.type}" + ('-bf16' if a.cpu_bf16 else '') + ('-compile' if a.compile else '') + (f"-photo{a.photo_size}" if a.photo_size else '')
    out = atomic_write_json(runs_dir() / 'bench' / f'throughput-{tag}.json', {'machine': info, 'rows': rows})
    nan = float('nan')
    print(f"\n{info}\n{'model':>14} {'fast img/s':>11} {'naive img/s':>12} {'ratio':>6} {'fast+opt':>9} {'ratio+opt':>9} {'eval img/s':>11}")
    for r in rows:
        print(f"{r['model']:>14} {r.get('train_fast_img_s', nan):11.1f} {r.get('train_naive_img_s', nan):12.1f} {r.get('speedup', nan):6.2f} "
              f"{r.get('train_fast_opt_img_s', nan):9.1f} {r.get('speedup_opt', nan):9.2f} {r['eval_img_s']:11.1f}")
    print('written', out)

class _Restartable:
    "An iterable that makes a fresh epoch iterator each time."
    def __init__(self, make): self.make = make
    def __iter__(self): return iter(self.make())

if __name__ == '__main__':
    main()
