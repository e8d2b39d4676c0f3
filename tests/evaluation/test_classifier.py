"""wavegan.evaluation.classifier: the digit classifier learns the digits, converts what it is given and says so,
and it and its log-mel input layer pass the harness."""

import os

import numpy as np
import pytest

from wavegan.evaluation.classifier import DigitClassifier, LogMel
from tests import audio_fixtures as fx
from tests.harness import run_layer_test


@pytest.mark.slow
def test_classifier_learns_the_digits(digit_classifier):
    _, accuracy = digit_classifier
    assert accuracy >= 0.4  # chance is 0.1; held-out speakers


def test_score_says_once_what_it_converted(tmp_path):
    from wavegan.evaluation.classifier import load_clips

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


def test_digit_classifier_in_the_harness():
    model = run_layer_test(DigitClassifier, dict(labels=["a", "b", "c"], filters=2), input_shape=(2, 16384),
                           expected_output_shape=(2, 3))
    assert model.embed(np.zeros((2, 16384), np.float32)).shape == (2, 8 * 8 * 2)


def test_log_mel_in_the_harness():
    run_layer_test(LogMel, dict(), input_shape=(2, 16384), expected_output_shape=(2, 128, 128))
