"Bad input gets a clear error or a counted skip."
import time, warnings
from pathlib import Path
import pytest, torch
from PIL import Image
from catvae.data import load_cats, decode_folder, load_image, DataSourceError, SkipImage, kaggle_dir
from catvae.masking import make_masks, masked_input, composite
from catvae.core import build_model, get_device, seed_everything
from catvae.training import TrainConfig
from catvae.config import load_config
from catvae.study import run_study

def _jpeg(p, size=(80, 70), mode='RGB'):
    Image.new(mode, size, 128 if mode in ('L', 'P') else (120, 60, 30)[:len(mode)] + ((255,) if mode == 'RGBA' else ())).save(p)

def test_corrupt_and_truncated_files_are_skipped_and_counted(tmp_path):
    for i in range(5): _jpeg(tmp_path / f'ok{i}.jpg')
    (tmp_path / 'corrupt.jpg').write_bytes(b'not an image at all')
    full = (tmp_path / 'ok0.jpg').read_bytes(); (tmp_path / 'truncated.jpg').write_bytes(full[:len(full) // 3])
    with pytest.warns(UserWarning, match=r'skipped 2 of 7'):
        d = decode_folder([tmp_path], size=32, cache=False, progress=False)
    assert len(d['names']) == 5 and set(d['skipped']) == {f'{tmp_path.name}/corrupt.jpg', f'{tmp_path.name}/truncated.jpg'}

def test_modes_and_small_images(tmp_path):
    _jpeg(tmp_path / 'grey.png', mode='L'); _jpeg(tmp_path / 'rgba.png', mode='RGBA')
    Image.new('P', (50, 40)).save(tmp_path / 'pal.png')
    for n in ('grey.png', 'rgba.png', 'pal.png'): assert load_image(tmp_path / n, 32).shape == (3, 32, 32)
    _jpeg(tmp_path / 'small.jpg', size=(40, 40))          # smaller than the target: upsampled
    assert load_image(tmp_path / 'small.jpg', 64).shape == (3, 64, 64)
    _jpeg(tmp_path / 'tiny.jpg', size=(6, 6))             # far too small: skipped
    with pytest.raises(SkipImage, match='too small'): load_image(tmp_path / 'tiny.jpg', 64)

def test_empty_folder_and_wrong_path(tmp_path):
    with pytest.raises(DataSourceError, match='no image files'): load_cats(str(tmp_path), 32)
    with pytest.raises(DataSourceError, match='does not exist'): load_cats(str(tmp_path / 'nope'), 32)
    (tmp_path / 'bad.jpg').write_bytes(b'xx')
    with pytest.raises(DataSourceError, match='could be decoded'), warnings.catch_warnings():
        warnings.simplefilter('ignore'); load_cats(str(tmp_path), 32)

def test_kaggle_offline_fails_fast_in_one_line():
    t = time.time()
    try: kaggle_dir('mahmudulhaqueshawon/cat-image')
    except DataSourceError as e:
        assert '\n' not in str(e) and 'kagglehub' in str(e)
    assert time.time() - t < 30

def test_wrong_mask_shape_unknown_mask_and_model():
    x = torch.rand(2, 3, 16, 16)
    with pytest.raises(ValueError, match='mask must be'): masked_input(x, torch.zeros(2, 1, 8, 8))
    with pytest.raises(ValueError, match='mask must be'): composite(x, x, torch.zeros(2, 3, 16, 16))
    with pytest.raises(ValueError, match='images must be'): masked_input(torch.rand(2, 16, 16), torch.zeros(2, 1, 16, 16))
    with pytest.raises(ValueError, match='unknown mask protocol'): make_masks('blob', 2, 16)
    with pytest.raises(ValueError, match='unknown model'): build_model('gan')
    with pytest.raises(ValueError, match='unknown parameter'): build_model('vae', 64, zdim=3)

def test_invalid_parameters():
    with pytest.raises(ValueError, match='lr'): TrainConfig(lr=0)
    with pytest.raises(ValueError, match='epochs'): TrainConfig(epochs=-1)
    with pytest.raises(ValueError, match='size'): load_cats('synthetic', 50)
    with pytest.raises(ValueError, match='seed'): seed_everything(-3)
    with pytest.raises(ValueError, match='unknown model'): load_config({'models': {'nope': {}}})
    with pytest.raises(FileNotFoundError): load_config('no_such_config')
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match='not available'): get_device('cuda')

def test_decompression_bomb_is_skipped(tmp_path, monkeypatch):
    "An image far larger than Pillow's safety limit is skipped, not a crash (limit lowered here to keep the file small)."
    _jpeg(tmp_path / 'huge.jpg', size=(200, 200))
    monkeypatch.setattr(Image, 'MAX_IMAGE_PIXELS', 1000)     # 200 x 200 > 2 x limit: Pillow raises DecompressionBombError
    with pytest.raises(SkipImage, match='unreadable'), warnings.catch_warnings():
        warnings.simplefilter('ignore'); load_image(tmp_path / 'huge.jpg', 32)
