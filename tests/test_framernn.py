"""The frame-level GRU: shapes and parameter counts, next-frame pairs from the pipeline, seeding and feeding back."""

import dataclasses
import os

import numpy as np
import pytest
import tensorflow as tf

from framernn import run as framernn_run
from framernn.config import FrameRNNConfig
from framernn.data import make_dataset
from framernn.models import FrameRNN
from tests import audio_fixtures as fx
from wavegan.audio import pipeline as data
from wavegan.config import DataConfig, RunConfig, TrainConfig


def test_shapes_and_parameter_count():
    model = FrameRNN(frame_size=40, units=16, layers=2).build_for()
    assert model(np.zeros((3, 7, 40), np.float32)).shape == (3, 7, 40)
    # GRU (reset after): 3·(in·u + u·u + 2u) per layer, then a linear Dense u → F.
    expected = 3 * (40 * 16 + 16 * 16 + 2 * 16) + 3 * (16 * 16 + 16 * 16 + 2 * 16) + (16 * 40 + 40)
    assert sum(int(np.prod(v.shape)) for v in model.trainable_variables) == expected
    assert len(model.grus) == 2


def test_step_with_carried_state_equals_the_whole_sequence():
    tf.keras.utils.set_random_seed(0)
    model = FrameRNN(frame_size=8, units=6).build_for()
    frames = np.random.default_rng(0).normal(size=(2, 5, 8)).astype(np.float32)
    whole = np.asarray(model(frames))
    first, states = model.step(frames[:, :3], model.zero_states(2))
    rest, _ = model.step(frames[:, 3:], states)
    np.testing.assert_allclose(np.concatenate([first, rest], axis=1), whole, atol=1e-5)


def test_generation_feeds_predictions_back_and_cuts_the_seed():
    tf.keras.utils.set_random_seed(1)
    model = FrameRNN(frame_size=8, units=6).build_for()
    seeds = np.random.default_rng(1).normal(size=(2, 3, 8)).astype(np.float32)
    new = framernn_run.continue_frames(model, seeds, 4)
    assert new.shape == (2, 4, 8)  # only the new frames
    # Each new frame is the prediction after the seed and the frames generated before it.
    replay = np.asarray(model(np.concatenate([seeds, new[:, :-1]], axis=1)))
    np.testing.assert_allclose(new, replay[:, 2:], atol=1e-5)


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


def test_seed_frames_come_from_the_seed_file(tmp_path):
    path = fx.write(str(tmp_path / "seed.wav"), fx.ramp(1000), 16000)
    run = RunConfig("framernn", DataConfig(data_dir=str(tmp_path), normalize=False), FrameRNNConfig(frame_size=50),
                    TrainConfig())
    seeds = framernn_run.seed_frames(run, 2, 3, np.random.default_rng(0), wav_seed=path)
    assert seeds.shape == (2, 3, 50)
    np.testing.assert_allclose(seeds[1].ravel(), np.arange(150) / 32768, atol=1e-6)
