"""Phase shuffle (reference §3.4): the critic's random shift of every layer's activations by −n … n samples
with reflection padding (keras.ops only)."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="wavegan")
class PhaseShuffle(keras.layers.Layer):
    """Shifts a [batch, time, channels] tensor by one random φ ∈ {−rad … rad} per call (reference §3.4).

    One shift for the whole batch, as the paper and the original do (per-example shifts cost more and
    are a different regulariser). The vacated edge is filled by reflection, excluding the edge sample:
    [1..7] shifted by φ = 3 gives [4, 3, 2, 1, 2, 3, 4]. Only active when `training` is true.
    """

    def __init__(self, rad: int, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if rad < 0:
            raise ValueError(f"PhaseShuffle radius must be >= 0, got {rad}")
        self.rad = int(rad)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, x, training=None, shift=None):
        if self.rad == 0 or not training:
            return x
        if shift is None:
            shift = keras.random.randint((), -self.rad, self.rad + 1, seed=self.seed_generator)
        return self.shift(x, shift)

    def shift(self, x, shift):
        """Delays x by `shift` samples (advances it if negative), |shift| <= rad, reflecting the edge."""
        # Pad rad on both sides once (static widths work on every backend), then take the window that
        # a pad of exactly |φ| on one side would have produced.
        length = ops.shape(x)[1]
        padded = ops.pad(x, [[0, 0], [self.rad, self.rad], [0, 0]], mode="reflect")
        start = ops.cast(self.rad - shift, "int32")
        zero = ops.zeros((), "int32")
        return ops.slice(padded, [zero, start, zero], [ops.shape(x)[0], length, ops.shape(x)[2]])

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rad": self.rad, "seed": self.seed}
