"""The artifact evaluation (reference §9.4): envelope of an untrained generator's checkerboard tones, per-clip
energy share at those frequencies."""

import glob
import os

import numpy as np
import pytest
import soundfile

from eval import artifacts
from tests import helpers
from wavegan import metrics
from wavegan.models import WaveGANGenerator


def test_impulse_input_is_the_originals():
    x = artifacts.impulse_input(2)
    assert x.shape == (1, 16, 32)
    for channel in range(32):
        assert x[0, :, channel].tolist() == [1.0 if t == channel % 16 else 0.0 for t in range(16)]


@pytest.fixture(scope="module")
def small_envelope():
    return artifacts.artifact_envelope(inits=6, dim=4)


def test_envelope_is_normalised_and_peaks_on_the_upsampling_grid(small_envelope):
    """Stride-4 transposed convolutions repeat their kernels' imprint every 4, 16, 64, … samples: the
    strongest tones sit on multiples of 128 bins (125 Hz at 16 kHz)."""
    env = small_envelope
    assert env.shape == (8193,) and env.dtype == np.float32
    assert env.min() == 0.0 and env.max() == 1.0
    top = np.argsort(env)[::-1][:16]
    assert np.mean(top % 128 == 0) >= 0.75
    assert env[::128].mean() > 5 * np.median(env)


def test_every_initialisation_is_a_new_draw():
    one, two = artifacts.artifact_envelope(inits=1, dim=2), artifacts.artifact_envelope(inits=2, dim=2)
    assert not np.allclose(one, two)


def test_untrained_generator_scores_higher_than_real_audio(small_envelope):
    env = metrics.load_envelope()  # the shipped one (d = 64)
    real = []
    for path in sorted(glob.glob(os.path.join(helpers.REPO, "data", "drums", "*.wav")))[::8]:
        audio, _ = soundfile.read(path, dtype="float32", always_2d=True)
        real.append(np.pad(audio[:16384, 0], (0, max(0, 16384 - len(audio)))))
    real = np.stack(real)
    g = WaveGANGenerator(dim=8)
    z = np.random.default_rng(0).uniform(-1, 1, (8, 100)).astype(np.float32)
    fake = np.asarray(g(z))[:, :, 0]
    for envelope in (env, small_envelope):
        real_share, fake_share = metrics.artifact_share(real, envelope), metrics.artifact_share(fake, envelope)
        assert np.all((real_share >= 0) & (real_share <= 1)) and np.all(fake_share <= 1)
        assert fake_share.min() > real_share.max()
        assert artifacts.weighted_magnitude(fake, envelope).shape == (8,)


def test_the_share_has_one_home():
    assert artifacts.artifact_share is metrics.artifact_share  # training logs it too; no copy in eval/
