"""wavenet.data: silence trimming and the receptive-field pieces."""

import numpy as np
import pytest
import tensorflow as tf

from wavenet.data import pieces, trim_silence


def test_silence_trim_and_pieces():
    loud = np.concatenate([np.zeros(4096), 0.8 * np.ones(8192), np.zeros(4096)]).astype(np.float32)[:, None]
    trimmed = np.asarray(trim_silence(tf.constant(loud), 0.3))
    assert 0 < len(trimmed) < len(loud) and trimmed.max() == pytest.approx(0.8)
    assert len(np.asarray(trim_silence(tf.constant(np.zeros((5000, 1), np.float32)), 0.3))) == 0
    samples = np.arange(1, 251, dtype=np.float32)[:, None]
    cut = np.asarray(pieces(tf.constant(samples), receptive_field=10, sample_size=100, silence_threshold=0))
    assert cut.shape == (3, 110, 1)  # ceil(250 / 100) pieces of rf + sample_size
    assert (cut[0, :10] == 0).all() and cut[0, 10, 0] == 1  # left-padded with rf zeros
    assert cut[1, 0, 0] == 91 and cut[1, 10, 0] == 101  # pieces overlap by rf: each target once
    assert cut[2, 59, 0] == 250 and (cut[2, 60:] == 0).all()  # last one zero-padded at the end
