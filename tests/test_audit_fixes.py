"""The audit's undocumented deviations, fixed: summaries on batch statistics, |D| on the int16 scale,
eval.score saying what it converted."""

import os

import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from tests import audio_fixtures as fx
from tests import helpers
from wavegan.train import callbacks
from wavegan.models.kind import wavegan_gan
from wavegan.models import WaveGANGenerator


def test_similarity_features_are_on_the_int16_scale():
    """The original fed int16 values (reference §9.3): features of x are ln(mel(|STFT(32768·x)|) + 1e-6)."""
    from eval.features import log_mel, similarity_features

    x = np.random.default_rng(0).normal(0, 0.1, (3, 16384)).astype(np.float32)
    x[:, 12000:] = 0  # a zero-padded tail, as SC09 clips padded to 16384 have
    feats = similarity_features(x)
    np.testing.assert_allclose(feats, ops.convert_to_numpy(log_mel(x * 32768.0, 2048)).reshape(3, -1), rtol=1e-5)
    # Not a constant shift of the float-scale features: the 1e-6 floor of silent frames does not move.
    shift = feats - ops.convert_to_numpy(log_mel(x, 2048)).reshape(3, -1)
    assert shift.max() - shift.min() > 1.0


def test_score_says_once_what_it_converted(tmp_path):
    from eval.classifier import load_clips

    fx.write(os.path.join(tmp_path, "ok.wav"), fx.tone(16384 / 16000, 16000), 16000)
    fx.write(os.path.join(tmp_path, "short.wav"), fx.tone(0.5, 16000), 16000)
    fx.write(os.path.join(tmp_path, "stereo44k.wav"), fx.tone(1.5, 44100, channels=2), 44100)
    paths = sorted(os.path.join(tmp_path, n) for n in os.listdir(tmp_path))
    lines = []
    clips = load_clips(paths, report=lines.append)
    assert clips.shape == (3, 16384)
    assert lines == ["Converted 2 of 3 files to 16000 Hz mono 16384-sample clips "
                     "(1 resampled, 1 mixed down to mono, 1 zero-padded, 1 truncated)."]
    lines.clear()
    load_clips(paths[:1], report=lines.append)
    assert lines == []
