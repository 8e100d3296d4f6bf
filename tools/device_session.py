#!/usr/bin/env python
r"""One GPU session of the study, as one prepared command: machine facts, throughput benchmarks, then the
`full` config's classical fills and backbone models (unet, vae) over 3 training seeds, run side by side, sized
to a time budget; everything it wrote is packed into one archive. With `--family`: every learned model of the
config, one seed, in `--parallel` processes side by side on the one card, for at least `--min-epochs` (16: the
`cpu-long` training length) or as many as the budget fits, merged into one study folder.

    # on the GPU machine (repository root)
    python tools/device_session.py --out $OUT --budget 430
    # a rehearsal here (folders in /tmp/rehearsal/runs)
    python tools/device_session.py --out /tmp/rehearsal --budget 240 --tiny --device cpu
    # another config's runs
    python tools/device_session.py --out $OUT --budget 520 --config smoke --models vqvae,avae --no-bench \
        --keep-epochs
    # the full family, one seed, one call
    python tools/device_session.py --out $OUT --budget 470 --family
    # its rehearsal
    python tools/device_session.py --out /tmp/rehearsal --budget 300 --family --tiny --device cpu --parallel 2

The GPU machine has torch but no Jupyter: the study runs the experiment notebook as plain Python
(`catvae.study.execute_notebook`); wheels carried in `.whl/` (fastcore) are installed first. The number of
epochs is chosen from the measured training throughput so the three seeds finish inside the budget (at most
the config's 60); it is recorded in every run's params.json and printed here. Unpack the archive in the
repository (`for f in full*.tgz; do tar xzf $f; done`) and render the report with `catvae report runs/full`
and `catvae seeds runs/full runs/full-seed1 runs/full-seed2`.
"""
import argparse, json, math, os, signal, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS = 'mean_fill,telea,navier_stokes,biharmonic,push_pull,unet,vae'
BENCH_MODELS = 'unet,vae,vae_global,vqvae,avae,vae_gan,treevi_grid'

def sh(cmd, log, timeout=None, env=None):
    "Run `cmd`, output to the file `log` (and a line here); returns the exit code (124 on timeout)."
    t0 = time.time()
    with open(log, 'w') as f:
        try: rc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, timeout=timeout, env=env,
                                 cwd=ROOT).returncode
        except subprocess.TimeoutExpired: rc = 124
    print(f"[{time.strftime('%H:%M:%S')}] rc={rc} in {time.time() - t0:.0f}s: "
          f"{' '.join(map(str, cmd))[:160]}", flush=True)
    return rc

def learned_runs(config: str) -> list[str]:
    "The runs of `config` whose model has something to train (not the classical fills)."
    from catvae.config import load_config
    from catvae.core import build_model
    cfg = load_config(config)
    def learns(o, name):
        net = build_model(o.get('model', name), 64, **o.get('model_kwargs', {}))
        return any(p.requires_grad for p in getattr(net, 'parameters', lambda: [])())
    return [m for m, o in cfg['models'].items() if learns(o, m)]

def merge(parts: list, dest: Path) -> None:
    "Move the run folders of the study folders `parts` into `dest`, with one study.json listing every run."
    dest.mkdir(parents=True, exist_ok=True); study, names = {}, []
    for p in parts:
        if (p / 'study.json').exists():
            st = json.loads((p / 'study.json').read_text()); study = study or st
            names += st.get('models_run', [])
        for r in sorted(d for d in p.iterdir() if d.is_dir()):
            if (dest / r.name).exists():   # never overwritten: the part folder keeps the new run
                print(f"note: {dest / r.name} exists; the new run stays in {r}", flush=True)
                names = [n for n in names if n != r.name]
            else: r.rename(dest / r.name)
    if study:
        (dest / 'study.json').write_text(json.dumps({**study, 'name': dest.name, 'models_run': names},
                                                    indent=1))

def main():
    ap = argparse.ArgumentParser(formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument('--out', required=True, help='folder for the logs and the archive')
    ap.add_argument('--budget', type=float, default=420, help='seconds for the whole session')
    ap.add_argument('--device', default='cuda')
    ap.add_argument('--seeds', type=int, default=3)
    ap.add_argument('--tiny', action='store_true',
                    help='rehearsal sizes: 600 images, 100 test images, 2 benchmark models')
    ap.add_argument('--max-epochs', type=int, default=60)
    ap.add_argument('--config', default='full', help="the study config ('full', 'smoke', ...)")
    ap.add_argument('--models', default=MODELS, help='the runs of the study, comma-separated')
    ap.add_argument('--no-bench', action='store_true', help='skip the throughput benchmarks')
    ap.add_argument('--keep-epochs', action='store_true',
                    help="train for the config's epochs instead of sizing them to the budget")
    ap.add_argument('--family', action='store_true',
                    help='every learned run of the config, one seed, --parallel processes')
    ap.add_argument('--parallel', type=int, default=4, help='--family: processes side by side on the card')
    ap.add_argument('--min-epochs', type=int, default=16,
                    help="--family: at least this many epochs (cpu-long's 16)")
    ap.add_argument('--runs', default=None,
                    help='where the study folders go (default: runs/ of the repository; '
                         'with --tiny, OUT/runs)')
    a = ap.parse_args()
    if a.family:
        a.models = a.models if a.models != MODELS else ','.join(learned_runs(a.config)); a.seeds = 1
    t_start = time.time(); left = lambda: a.budget - (time.time() - t_start)
    # a rehearsal never writes into runs/
    a.runs = a.runs or str(Path(a.out).resolve() / 'runs' if a.tiny else ROOT / 'runs')
    top = Path(a.out).resolve(); out = top / 'logs'   # logs, packed at the end
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, 'PYTHONUNBUFFERED': '1', 'CATVAE_EXECUTOR': 'plain'}
    wheels = sorted((ROOT / '.whl').glob('*.whl'))
    if wheels:   # packages the machine lacks (fastcore), installed outside the image
        subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', '--no-index', '--no-deps',
                        '--no-compile', '--no-cache-dir', '--upgrade', '--target', '/tmp/catvae-site',
                        *map(str, wheels)], check=True)
    env['PYTHONPATH'] = os.pathsep.join([str(ROOT)] + (['/tmp/catvae-site'] if wheels else [])
                                        + ([env['PYTHONPATH']] if env.get('PYTHONPATH') else []))
    py = [sys.executable]
    # 1. what machine this is
    sh(py + ['-c',
             "import json, torch; from catvae.core import machine_facts; "
             "print(json.dumps(machine_facts('cuda' if torch.cuda.is_available() else 'cpu'), indent=1))"],
       out / 'machine.txt', 60, env)
    if a.device == 'cuda': sh(['nvidia-smi'], out / 'nvidia-smi.txt', 30, env)
    # 2. decode the photos once (every later process reads the cache)
    n_img = 600 if a.tiny else 0
    sh(py + ['-c', "from catvae.data import load_cats; "
                   f"print(load_cats('shared', 64, n_max={n_img or None}, progress=False))"],
       out / 'decode.txt', 300, env)
    # 3. throughput: catvae's pipeline vs the naive one, every learned model of the full config
    bench = (a.models if a.family else BENCH_MODELS) if not a.tiny else 'unet,vae'
    if not a.no_bench:
        sh(py + ['benchmarks/throughput.py', '--config', 'full', '--device', a.device, '--models', bench,
                 '--source', 'shared', '--steps', '5' if a.tiny else '20',
                 '--n-images', '600' if a.tiny else '4000', '--workers', '4']
           + (['--batch-size', '32'] if a.tiny else []),
           out / 'bench.txt', min(100, max(30, left() * 0.25)), env)
    ips = {}
    for line in ((out / 'bench.txt').read_text().splitlines() if (out / 'bench.txt').exists() else []):
        if line.startswith("{'model'"):
            r = eval(line, {'nan': float('nan')}); ips[r['model']] = r.get('train_fast_img_s')
    # 4. epochs that fit: three processes share the device; 40% of what is left goes to the two
    # models' training
    # the training split of every photo of `shared` (train64 + test64): the full config
    n_train = 533 if a.tiny else 10221
    slow = min([v for k, v in ips.items() if k in ('unet', 'vae') and v] or [100.0])
    train_s = 0.4 * left() / 2                                         # per model, per process
    epochs = max(1, min(a.max_epochs, math.floor(train_s * slow / a.seeds / n_train)))
    # every model once; the processes share the card, assumed at most twice one process's pace in all
    if a.family:
        # seconds per epoch of all models
        per_epoch = sum(n_train / (ips.get(m) or slow) for m in a.models.split(','))
        fits = max(1, math.floor(0.45 * left() * min(a.parallel, 2) / per_epoch))
        epochs = min(a.max_epochs, max(a.min_epochs, fits))
        if fits < a.min_epochs:
            print(f"note: the budget fits about {fits} epochs of every model; training {epochs} anyway: "
                  "runs the budget cannot finish are stopped, recorded as interrupted, and resume from their "
                  "checkpoint in a later call", flush=True)
    print(f"throughput (img/s): {ips}; {left():.0f}s left -> {epochs} epochs", flush=True)
    (out / 'plan.json').write_text(json.dumps({'ips': ips, 'epochs': epochs, 'seeds': a.seeds,
                                               'left_s': left()}))
    # 5. the study: one process per seed, side by side; each gives up before the budget ends
    sets = (([] if a.keep_epochs else ['--set', f'epochs={epochs}'])
            + (['--set', 'n_images=600', '--set', 'n_eval=100', '--set', 'n_sample_images=50',
                '--set', 'batch_size=32'] if a.tiny else []))
    procs = []
    groups = [a.models.split(',')[i::a.parallel] for i in range(a.parallel)] if a.family else []
    # --family: one process per group of models, each in a folder of its own
    for i, g in enumerate(g for g in groups if g):
        cmd = py + ['-c', 'import sys; from catvae.cli import main; sys.exit(main())', 'study',
                    '--config', a.config, '--models', ','.join(g), '--source', 'shared', '--device', a.device,
                    '--no-report', '--seeds', '1', '--out', str(Path(a.runs) / f'{a.config}-part{i}'), *sets]
        f = open(out / f'study-part{i}.txt', 'w')
        procs.append((subprocess.Popen(
            cmd, stdout=f, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True,
            env={**env, 'OMP_NUM_THREADS': str(max(1, (os.cpu_count() or 2) // a.parallel))}), f))
    for s in range(0 if a.family else a.seeds):
        folder = Path(a.runs) / (a.config if s == 0 else f'{a.config}-seed{s}')
        cmd = py + ['-c', 'import sys; from catvae.cli import main; sys.exit(main())', 'study',
                    '--config', a.config, '--models', a.models, '--source', 'shared', '--device', a.device,
                    '--no-report', '--out', str(folder), '--seeds', '1', *sets]
        if s: cmd += ['--seed', str(s)]
        f = open(out / f'study-seed{s}.txt', 'w')
        procs.append((subprocess.Popen(
            cmd, stdout=f, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True,
            env={**env, 'OMP_NUM_THREADS': str(max(1, (os.cpu_count() or 2) // a.seeds))}), f))
    deadline = time.time() + left() - 25
    for p, f in procs:
        try: p.wait(timeout=max(1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            # the study and its notebook process: Ctrl-C first, so the run is recorded as interrupted
            os.killpg(p.pid, signal.SIGINT)
            try: p.wait(timeout=10)
            except subprocess.TimeoutExpired: os.killpg(p.pid, signal.SIGKILL); p.wait()
            print("a study process was stopped at the budget", flush=True)
        f.close()
    print(f"[{time.strftime('%H:%M:%S')}] studies done, {left():.0f}s left", flush=True)
    if a.family: merge(sorted(Path(a.runs).glob(f'{a.config}-part*')), Path(a.runs) / a.config)
    # 6. one archive: the study folders without checkpoints, the benchmark json, the logs
    runs_root = Path(a.runs).parent
    runs = [p.relative_to(runs_root) for p in sorted(Path(a.runs).glob(f'{a.config}*'))
            if p.name in (a.config, *(f'{a.config}-seed{s}' for s in range(1, a.seeds)))]
    bench_json = sorted((ROOT / 'runs' / 'bench').glob('throughput-full-*.json'))
    # one archive per seed folder (each file that comes back is capped); figures of the first seed only
    for r in runs:
        subprocess.run(['tar', 'czf', str(top / f'{r.name}.tgz'), '--exclude=ckpt', '--exclude=*.pt',
                        *([] if r.name == a.config else ['--exclude=figures']),
                        '-C', str(runs_root), str(r)], check=False)
    for b in bench_json: (out / b.name).write_bytes(b.read_bytes())
    for p, _ in procs: print('exit', p.returncode)
    for f in sorted(out.glob('study-*.txt')): print(f.read_text()[-1500:])
    if (out / 'bench.txt').exists(): print((out / 'bench.txt').read_text()[-2500:])
    # few files come back: one archive
    subprocess.run(['tar', 'czf', str(top / 'logs.tgz'), '-C', str(top), 'logs'], check=False)
    subprocess.run(['rm', '-rf', str(out)], check=False)

if __name__ == '__main__':
    main()
