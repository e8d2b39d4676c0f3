"""eval.features: the |D| features on the int16 scale."""

import numpy as np
from keras import ops

from wavegan.audio.features import log_mel


def test_similarity_features_are_on_the_int16_scale():
    """The original fed int16 values (reference §9.3): features of x are ln(mel(|STFT(32768·x)|) + 1e-6)."""
    from eval.features import similarity_features

    x = np.random.default_rng(0).normal(0, 0.1, (3, 16384)).astype(np.float32)
    x[:, 12000:] = 0  # a zero-padded tail, as SC09 clips padded to 16384 have
    feats = similarity_features(x)
    np.testing.assert_allclose(feats, ops.convert_to_numpy(log_mel(x * 32768.0, 2048)).reshape(3, -1), rtol=1e-5)
    # Not a constant shift of the float-scale features: the 1e-6 floor of silent frames does not move.
    shift = feats - ops.convert_to_numpy(log_mel(x, 2048)).reshape(3, -1)
    assert shift.max() - shift.min() > 1.0
