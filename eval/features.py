"""The |D| similarity features (reference §9.3) with keras.ops. The log-mel transform itself is
wavegan/audio/features.py's; the classifier's input layer is wavegan/evaluation/classifier.py's.
"""

from __future__ import annotations

import numpy as np
from keras import ops

from wavegan.audio.features import fix_length, log_mel


# The original's similarity features read 16-bit WAVs without scaling them (reference §9.3, §11.14).
INT16_SCALE = 32768.0


def similarity_features(audio: np.ndarray, batch: int = 256) -> np.ndarray:
    """|D| features (reference §9.3): 2048-sample frames, 128 mel bands, flattened to 16384 values per clip.

    Audio is float in [−1, 1] and is scaled to the int16 range first, as the original computed them.
    The scale is not a constant shift of ln(mel + 1e-6): silent and zero-padded frames sit on the 1e-6
    floor at either scale, so the distances differ, not just by an offset.
    """
    out = [ops.convert_to_numpy(log_mel(fix_length(audio[i:i + batch]) * INT16_SCALE, 2048)).reshape(-1, 128 * 128)
           for i in range(0, len(audio), batch)]
    return np.concatenate(out).astype(np.float32)
