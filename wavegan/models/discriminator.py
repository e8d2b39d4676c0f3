"""WaveGAN's critic (reference §3.3): strided convolutions with phase shuffle; keras.ops only.

Layer names follow the original's variable scopes (downconv_i, output), reference §3.5.
"""

from __future__ import annotations

import keras

from wavegan.layers.conv import StridedConv1D
from wavegan.layers.phase_shuffle import PhaseShuffle
from wavegan.layers.stacks import DownsamplingDiscriminator
from wavegan.models.generator import layer_plan


@keras.saving.register_keras_serializable(package="wavegan")
class WaveGANDiscriminator(DownsamplingDiscriminator):
    """audio [batch, slice_len, num_channels] → one logit per example, shape [batch]."""

    def __init__(self, slice_len: int = 16384, num_channels: int = 1, dim: int = 64, kernel_len: int = 25,
                 batchnorm: bool = False, phaseshuffle_rad: int = 2, num_classes: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.slice_len, self.num_channels, self.dim = slice_len, num_channels, dim
        self.kernel_len, self.batchnorm, self.phaseshuffle_rad = kernel_len, batchnorm, phaseshuffle_rad
        strides, multipliers = layer_plan(slice_len)
        filters = [dim * m for m in reversed(multipliers)]
        downconvs = [StridedConv1D(n, kernel_len, strides=stride, padding="same", name=f"downconv_{i}")
                     for i, (stride, n) in enumerate(zip(strides, filters))]
        # Phase shuffle after the first four blocks only (reference §3.3).
        shuffles = [PhaseShuffle(phaseshuffle_rad, name=f"phase_shuffle_{i}") if phaseshuffle_rad > 0 and i < 4
                    else None for i in range(len(downconvs))]
        self._make_layers(downconvs, batchnorm, shuffles, num_classes)

    def get_config(self):
        return {**super().get_config(), "slice_len": self.slice_len, "num_channels": self.num_channels,
                "dim": self.dim, "kernel_len": self.kernel_len, "batchnorm": self.batchnorm,
                "phaseshuffle_rad": self.phaseshuffle_rad, "num_classes": self.num_classes}
