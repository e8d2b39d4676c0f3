"""framernn.data: the pipeline pairs each frame with the next."""

import dataclasses

import numpy as np
import pytest

from framernn.config import FrameRNNConfig
from framernn.data import make_dataset
from tests import audio_fixtures as fx
from wavegan.audio import pipeline as data
from wavegan.config import DataConfig


def test_pipeline_pairs_each_frame_with_the_next(tmp_path):
    folder = tmp_path / "audio"
    fx.write(str(folder / "a.wav"), fx.ramp(5000), 16000)
    cfg = FrameRNNConfig(frame_size=100, seq_len=9)
    data_cfg = dataclasses.replace(DataConfig(data_dir=str(folder), normalize=False, first_slice=True,
                                              pad_end=True).resolved(), slice_len=cfg.window)
    files = data.prepare_files(data_cfg, 1)
    x, y = next(iter(make_dataset(files, data_cfg, cfg, 2)))
    assert x.shape == (2, 9, 100) and y.shape == (2, 9, 100)
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])  # targets are the inputs shifted by one frame
    assert float(x[0, 0, 0]) == 0.0 and float(y[0, 0, 0]) == pytest.approx(100 / 32768)
