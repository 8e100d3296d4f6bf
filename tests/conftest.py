import os, shutil, warnings
from pathlib import Path
import numpy as np
import pytest
import torch
from PIL import Image
from catvae.core import shared_data_dir

@pytest.fixture(scope='session')
def photo_dir(tmp_path_factory) -> Path:
    """A small folder of cat photos: 120 of the offline photos when ../shared is present (copied to a temp
    folder, never into the repo), else generated JPEGs."""
    d = tmp_path_factory.mktemp('photos')
    shared = shared_data_dir()
    if shared is not None and (shared / 'eval64').is_dir():
        for p in sorted((shared / 'eval64').iterdir())[:120]: shutil.copy(p, d / p.name)
    else:
        warnings.warn('offline photos not found: tests use generated images')
        from catvae.data import synthetic_cats
        for i, im in enumerate(synthetic_cats(120, 64, seed=0)):
            Image.fromarray(im.permute(1, 2, 0).numpy()).save(d / f'cat{i:03d}.jpg')
    return d

@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv('CATVAE_CACHE', str(tmp_path / 'cache'))

@pytest.fixture
def batch():
    "Four random 32 px images with the same 16x16 box hole: `(x (4, 3, 32, 32), m (4, 1, 32, 32))`."
    g = torch.Generator().manual_seed(0)
    x = torch.rand(4, 3, 32, 32, generator=g)
    m = torch.zeros(4, 1, 32, 32); m[:, :, 4:20, 8:24] = 1
    return x, m
