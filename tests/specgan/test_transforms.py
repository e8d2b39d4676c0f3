"""specgan.transforms: the log-magnitude transform, its moments, Griffin-Lim."""

import glob
import os

import numpy as np
import pytest
import soundfile
import tensorflow as tf

from specgan import transforms as T
from specgan.gan import adopt_moments
from tests import helpers
from wavegan.errors import UserError

DRUMS = sorted(glob.glob(os.path.join(helpers.REPO, "data", "drums", "*.wav")))


def real_clips(n=8):
    clips = np.zeros((n, T.SLICE_LEN, 1), np.float32)
    for i, path in enumerate(DRUMS[:: len(DRUMS) // n][:n]):
        audio, _ = soundfile.read(path, dtype="float32")
        clips[i, :len(audio), 0] = audio / np.abs(audio).max()
    return clips


def test_log_magnitude_matches_a_numpy_stft():
    """256-sample periodic Hann frames every 128 samples, end-padded: 128 frames × 129 bins."""
    x = np.random.default_rng(0).normal(size=(1, T.SLICE_LEN, 1)).astype(np.float32)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(256) / 256)  # periodic Hann
    padded = np.concatenate([x[0, :, 0], np.zeros(128)])
    frames = np.stack([padded[i * 128:i * 128 + 256] * window for i in range(128)])
    expected = np.log(np.abs(np.fft.rfft(frames, axis=1)) + 1e-6)
    np.testing.assert_allclose(T.log_magnitude(x).numpy()[0], expected, atol=2e-4)


def test_moments_of_a_known_tone():
    """A tone on bin 32 (2 kHz) at amplitude A: |X| = A/2 · Σ window = 64·A in every full frame."""
    amplitude = 0.4
    tone = amplitude * np.sin(2 * np.pi * 2000 * np.arange(T.SLICE_LEN) / 16000)
    frames = T.log_magnitude(tone[None, :, None].astype(np.float32)).numpy()[:, :127]  # the last frame is padded
    moments = T.Moments.from_frames(np.array_split(frames.reshape(-1, T.N_BINS), 5))  # streamed in chunks
    assert moments.mean[32] == pytest.approx(np.log(64 * amplitude), abs=1e-3)
    assert moments.std[32] < 1e-3
    silence = T.Moments.from_frames([T.log_magnitude(np.zeros((2, T.SLICE_LEN, 1), np.float32)).numpy()])
    np.testing.assert_allclose(silence.mean, np.log(1e-6), rtol=1e-5)
    np.testing.assert_allclose(silence.std, 0, atol=1e-6)


def test_streamed_moments_equal_population_statistics():
    frames = np.random.default_rng(1).normal(3.0, 2.0, (1000, T.N_BINS))
    moments = T.Moments.from_frames(np.array_split(frames, 7))
    np.testing.assert_allclose(moments.mean, frames.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(moments.std, frames.std(axis=0), rtol=1e-5)


def test_transform_is_normalised_and_clipped():
    x = real_clips()
    moments = T.Moments.from_frames([T.log_magnitude(x).numpy()])
    spec = T.audio_to_spectrogram(x, moments.mean, moments.std).numpy()
    assert spec.shape == (8, 128, 128, 1) and spec.min() >= -1 and spec.max() <= 1
    assert abs(spec.mean()) < 0.1  # standardised per bin with these clips' own moments
    image = T.spectrogram_to_image(spec[:1]).numpy()[0, :, :, 0]
    assert image.dtype == np.uint8
    # Rotated: time runs left to right, frequency bottom (low) to top (high).
    np.testing.assert_array_equal(image[::-1, :].T, np.clip((spec[0, :, :, 0] + 1) * 128, 0, 255).astype(np.uint8))


def test_griffin_lim_reconstructs_real_audio():
    """Spectral convergence ‖|S| − |S'|‖ / ‖|S|‖ of Griffin-Lim audio on real drum hits."""
    x = real_clips()
    moments = T.Moments.from_frames([T.log_magnitude(x).numpy()])
    spec = T.audio_to_spectrogram(x, moments.mean, moments.std)

    def convergence(ngl):
        y = T.spectrogram_to_audio(spec, moments.mean, moments.std, ngl)
        assert y.shape == (8, T.SLICE_LEN, 1)
        target = tf.abs(tf.signal.stft(x[..., 0], 256, 128, pad_end=True))
        rebuilt = tf.abs(tf.signal.stft(y[..., 0], 256, 128, pad_end=True))
        return float(tf.norm(target - rebuilt) / tf.norm(target))

    zero_phase, sixteen = convergence(0), convergence(16)
    assert sixteen < 0.35 and sixteen < 0.5 * zero_phase


def test_missing_or_wrong_moments_name_the_moments_command(tmp_path):
    with pytest.raises(UserError, match="train_specgan.py moments"):
        T.Moments.load(os.path.join(tmp_path, "missing.npz"))
    bad = os.path.join(tmp_path, "bad.npz")
    np.savez(bad, mean=np.zeros(10), std=np.ones(10))
    with pytest.raises(UserError, match="moments"):
        T.Moments.load(bad)
    with pytest.raises(UserError, match="moments"):
        adopt_moments(str(tmp_path / "train"), None)
