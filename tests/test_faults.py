"Reliability: a run killed with SIGKILL mid-training resumes to the same result; NaN stops cleanly; writes are atomic."
import json, math, os, signal, subprocess, sys, textwrap, time
from pathlib import Path
import pytest, torch
from catvae.core import build_model, atomic_write_json
from catvae.data import load_cats
from catvae.training import TrainConfig, train, NonFiniteLossError

SCRIPT = textwrap.dedent('''
    import sys, time, torch
    from catvae.core import build_model
    from catvae.data import load_cats
    from catvae.training import TrainConfig, train
    data = load_cats('synthetic', 32, n_max=240, seed=0, progress=False)
    torch.manual_seed(0)
    model = build_model('vae', 32, ch=8, max_ch=16, z_ch=2)
    forward = model.forward
    def slow_forward(x, m):               # every step takes >= 40 ms, so an epoch takes >= 0.5 s on any machine
        time.sleep(0.04); return forward(x, m)
    model.forward = slow_forward
    h = train(model, data, TrainConfig(epochs=int(sys.argv[2]), batch_size=16, lr=2e-3, device='cpu', log_every=5, schedule='cosine'), sys.argv[1], progress=False)
    print('final', h[h.split == 'val'].nelbo_bpd.iloc[-1])
''')

def _run(run_dir, epochs, env):
    return subprocess.Popen([sys.executable, '-c', SCRIPT, str(run_dir), str(epochs)], env=env, stdout=subprocess.PIPE, text=True)

def test_sigkill_then_resume_matches_uninterrupted(tmp_path):
    env = {**os.environ, 'CATVAE_CACHE': str(tmp_path / 'cache')}
    ref = _run(tmp_path / 'ref', 3, env); ref_out = ref.communicate(timeout=900)[0]
    p = _run(tmp_path / 'killed', 3, env)
    ckpt = tmp_path / 'killed' / 'ckpt' / 'last.pt'
    t0 = time.time()
    while not ckpt.exists() and time.time() - t0 < 600: time.sleep(0.01)
    assert ckpt.exists(), 'no checkpoint was written'
    time.sleep(0.1)                       # now inside epoch 2, which takes >= 0.5 s (slow_forward)
    p.send_signal(signal.SIGKILL); p.wait()
    assert torch.load(ckpt, weights_only=False)['epoch'] < 3, 'the run finished before it was killed; use more epochs'
    resumed = _run(tmp_path / 'killed', 3, env); out = resumed.communicate(timeout=900)[0]
    assert out.strip().splitlines()[-1] == ref_out.strip().splitlines()[-1]
    a = torch.load(tmp_path / 'ref' / 'ckpt' / 'last.pt', weights_only=False)['model']
    b = torch.load(ckpt, weights_only=False)['model']
    assert all(torch.equal(a[k], b[k]) for k in a)

def test_nan_stops_and_keeps_last_good_checkpoint(tmp_path):
    data = load_cats('synthetic', 32, n_max=200, progress=False)
    model = build_model('vae', 32, ch=8, max_ch=16, z_ch=2)
    train(model, data, TrainConfig(epochs=1, batch_size=16, device='cpu', log_every=2), tmp_path, progress=False)
    good = torch.load(tmp_path / 'ckpt' / 'last.pt', weights_only=False)
    forward = model.forward
    def nan_forward(x, m):                      # the loss blows up in epoch 2
        out = forward(x, m); out.loss = out.loss * float('nan'); return out
    model.forward = nan_forward
    with pytest.raises(NonFiniteLossError, match='loss became nan.*last good checkpoint'):
        train(model, data, TrainConfig(epochs=2, batch_size=16, device='cpu', log_every=2), tmp_path, progress=False)
    kept = torch.load(tmp_path / 'ckpt' / 'last.pt', weights_only=False)
    assert kept['epoch'] == 1 == good['epoch']
    assert all(torch.isfinite(v).all() for v in kept['model'].values() if v.is_floating_point())

def test_atomic_json_survives_failed_write(tmp_path):
    f = tmp_path / 'metrics.json'
    atomic_write_json(f, {'a': 1})
    with pytest.raises(TypeError):
        atomic_write_json(f, {'a': object()})   # not serialisable: the write fails part-way
    assert json.loads(f.read_text()) == {'a': 1}
    assert [p.name for p in tmp_path.iterdir()] == ['metrics.json']

def test_cpu_bf16_autocast_is_used_and_stays_finite():
    "The opt-in CPU bf16 path really runs the convolutions in bf16, and training stays finite."
    data = load_cats('synthetic', 32, n_max=120, progress=False)
    torch.manual_seed(0); model = build_model('vae', 32, ch=8, max_ch=16, z_ch=2)
    seen = set(); model.net.down[0].register_forward_hook(lambda mod, inp, out: seen.add(out.dtype))
    h = train(model, data, TrainConfig(epochs=1, batch_size=16, device='cpu', cpu_bf16=True, log_every=2), progress=False)
    assert torch.bfloat16 in seen and all(map(math.isfinite, h.loss))   # NaN is not finite either
