r"""Ablation of one model setting, judged on the validation split only (never the test images).

Trains one model of a study config at several values of one of its settings (e.g. the VAE's `gsnn`, the
VAE-GAN's `adv_weight`) and scores each on the validation images: hole PSNR of the single fill on the six mask
protocols, the energy score, hole spread and sharpness of k samples, and the realism critic's accuracy
(`catvae.realism`) on the fill and on one sample. Prints a markdown table (mean over the seeds given) and
keeps one row per value and seed in `<out>/ablation.csv`, so a killed run resumes and finished rows are never
recomputed (rows of another code version of the model are set aside, not reused). `--terms` adds logged
training terms (their last logged interval's mean).

    python tools/ablation.py --model vae --param gsnn --values 0,0.25,0.5
    python tools/ablation.py --model vae_gan --param adv_weight --values 0.05,0.2,0.5 --seeds 0,1 \
        --terms critic_margin,adv_grad_ratio
"""
import argparse, json, sys, time
from pathlib import Path
import pandas as pd
import torch
from catvae.core import (timestamp, build_model, get_device, machine_facts, use_free_cores, project_root,
                         code_version)
from catvae.config import load_config, run_params
from catvae.data import load_cats
from catvae.masking import eval_masks, PROTOCOLS, EVAL_SEED
from catvae.training import TrainConfig, train
from catvae.evaluation import AutocastModel, evaluate_model, sample_metrics
from catvae.realism import realism_scores

VAL_MASK_SEED = EVAL_SEED + 1   # validation masks: not the test masks


def score(net, data, n_samples: int, n_sample_images: int, dev, bf16: bool) -> dict:
    "Validation scores of a trained `net`."
    scorer = AutocastModel(net.eval(), enabled=bf16)
    per = evaluate_model(scorer, data.val, PROTOCOLS, len(data.val), VAL_MASK_SEED, dev, progress=False)
    row = {'val_hole_psnr': per.hole_psnr.mean(), 'val_sharpness': per.sharpness.mean()}
    x = data.val[:n_sample_images]
    if hasattr(net, 'sample_inpaint'):
        sm = sample_metrics(scorer, x, eval_masks('mixed', len(x), x.shape[-1], seed=VAL_MASK_SEED),
                            k=n_samples, device=dev)
        row.update({k: sm[k].mean() for k in ('energy_score', 'hole_std', 'sample_sharpness', 'sample_psnr')})
    rz = realism_scores(scorer, data.val, n=len(data.val), device=dev)
    row.update({k: rz[k].mean() for k in rz.columns if k.endswith('critic_acc')})
    return row


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument('--model', required=True, help="a run of the config (e.g. vae, vae_gan)")
    ap.add_argument('--param', required=True, help="a field of the model's config dataclass")
    ap.add_argument('--values', required=True, help="comma-separated values (JSON numbers)")
    ap.add_argument('--config', default='smoke', help="the study config whose settings the runs take")
    ap.add_argument('--seeds', default='0', help="comma-separated training seeds")
    ap.add_argument('--terms', default='',
                    help="comma-separated training terms to report (the last logged interval's mean)")
    ap.add_argument('--out', default='',
                    help="folder for the rows and checkpoints; '' means runs/ablation-MODEL-PARAM")
    a = ap.parse_args(argv)
    cfg = load_config(a.config)
    if a.model not in cfg['models']: sys.exit(f"{a.model!r} is not a run of the {cfg['name']} config")
    try: values = [json.loads(v) for v in a.values.split(',')]
    except json.JSONDecodeError:
        sys.exit(f"--values must be comma-separated JSON values (e.g. 0,0.25,0.5), got {a.values!r}")
    seeds = [int(s) for s in a.seeds.split(',')]
    out = Path(a.out or project_root() / 'runs' / f'ablation-{a.model}-{a.param}')
    p = run_params(cfg, a.model, out)
    kwargs = json.loads(p['model_kwargs'])
    try: build_model(p['model'], p.get('size', 64), **{**kwargs, a.param: values[0]})
    except (TypeError, ValueError) as e: sys.exit(f"{p['model']}: {e}")
    dev, threads = get_device('auto'), use_free_cores()
    out.mkdir(parents=True, exist_ok=True)
    rows_f = out / 'ablation.csv'
    version = code_version(p['model'])
    rows = (pd.read_csv(rows_f) if rows_f.exists()
            else pd.DataFrame(columns=['value', 'seed', 'model_version']))
    if 'model_version' not in rows: rows['model_version'] = 1
    stale = rows.model_version.astype(int) != version
    if stale.any():
        old = rows_f.with_name(f'ablation-stale-{timestamp()}.csv')
        rows[stale].to_csv(old, index=False); rows = rows[~stale]
        print(f"{int(stale.sum())} rows of another code version of {p['model']} set aside in {old.name}",
              flush=True)
    bf16 = dev.type == 'cpu' and p.get('cpu_bf16', 'auto') in (True, 'auto')
    print(f"{p['model']}: {a.param} in {values}, seeds {seeds}, {cfg['name']} settings; "
          f"{dev}, {threads} threads, {'bf16' if bf16 else 'fp32'}", flush=True)
    for seed in seeds:
        data = load_cats(p.get('source', 'auto'), p.get('size', 64), n_max=p.get('n_images') or None,
                         seed=seed, progress=False)
        for v in values:
            # finished earlier
            if ((rows.value.astype(float) == float(v)) & (rows.seed == seed)).any(): continue
            t0 = time.time()
            torch.manual_seed(seed)
            net = build_model(p['model'], p.get('size', 64), **{**kwargs, a.param: v})
            tc = TrainConfig(epochs=p['epochs'], batch_size=p['batch_size'], lr=p['lr'],
                             schedule=p['lr_schedule'], mask=p.get('train_mask', 'mixed'), seed=seed,
                             device=str(dev), cpu_bf16=bf16, mask_bank=p.get('mask_bank', 0))
            hist = train(net, data, tc, out / f'{a.param}={v}-v{version}-seed{seed}', progress=False)
            last = hist[hist.split == 'train'].iloc[-1]
            terms = {t: float(last.get(t, float('nan'))) for t in a.terms.split(',') if t}
            row = {'value': v, 'seed': seed, 'model_version': version, **terms,
                   **score(net, data, p.get('n_samples', 8), p.get('n_sample_images', 128), dev, bf16),
                   'seconds': time.time() - t0, 'n_val': len(data.val)}
            rows = pd.concat([rows, pd.DataFrame([row])], ignore_index=True)
            rows.to_csv(rows_f, index=False)
            print(f"  {a.param}={v} seed {seed}: val hole PSNR {row['val_hole_psnr']:.2f} dB, energy score "
                  f"{row.get('energy_score', float('nan')):.4f}, "
                  f"critic {row.get('critic_acc', float('nan')):.3f} ({row['seconds']:.0f} s)", flush=True)
    (out / 'machine.json').write_text(json.dumps({**machine_facts(dev), 'threads': threads}, indent=1))
    rows = rows.astype({'value': float, 'seed': int})
    table = rows.groupby('value').mean(numeric_only=True).drop(columns=['seed', 'model_version'])
    print(f"\n{p['model']}, {a.param} "
          f"(validation: {int(table.n_val.iloc[0])} images, mean over seeds {seeds})\n")
    t = table.drop(columns=['n_val']).round(4).reset_index()
    print('| ' + ' | '.join(t.columns) + ' |\n|' + '---:|' * len(t.columns))
    for r in t.itertuples(index=False): print('| ' + ' | '.join(f'{x:g}' for x in r) + ' |')


if __name__ == '__main__':
    main()
