"""framernn.run: generation feeds the predictions back and cuts the seed; the seed frames."""

import numpy as np
import tensorflow as tf

from framernn import run as framernn_run
from framernn.config import FrameRNNConfig
from framernn.models import FrameRNN
from tests import audio_fixtures as fx
from wavegan.config import DataConfig, RunConfig, TrainConfig


def test_generation_feeds_predictions_back_and_cuts_the_seed():
    tf.keras.utils.set_random_seed(1)
    model = FrameRNN(frame_size=8, units=6).build_for()
    seeds = np.random.default_rng(1).normal(size=(2, 3, 8)).astype(np.float32)
    new = framernn_run.continue_frames(model, seeds, 4)
    assert new.shape == (2, 4, 8)  # only the new frames
    # Each new frame is the prediction after the seed and the frames generated before it.
    replay = np.asarray(model(np.concatenate([seeds, new[:, :-1]], axis=1)))
    np.testing.assert_allclose(new, replay[:, 2:], atol=1e-5)


def test_seed_frames_come_from_the_seed_file(tmp_path):
    path = fx.write(str(tmp_path / "seed.wav"), fx.ramp(1000), 16000)
    run = RunConfig("framernn", DataConfig(data_dir=str(tmp_path), normalize=False), FrameRNNConfig(frame_size=50),
                    TrainConfig())
    seeds = framernn_run.seed_frames(run, 2, 3, np.random.default_rng(0), wav_seed=path)
    assert seeds.shape == (2, 3, 50)
    np.testing.assert_allclose(seeds[1].ravel(), np.arange(150) / 32768, atol=1e-6)
