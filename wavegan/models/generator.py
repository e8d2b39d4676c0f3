"""WaveGAN's generator (reference §3.2) and the layer plan it shares with the critic; keras.ops only.

Layer names follow the original's variable scopes (z_project, upconv_i, pp_filt) so a reader can hold this
file next to reference §3.5.
"""

from __future__ import annotations

import keras
from keras import layers

from wavegan.config import SLICE_LENS, UPSAMPLES
from wavegan.layers.conv import StridedConv1DTranspose
from wavegan.layers.stacks import UpsamplingGenerator


def layer_plan(slice_len: int) -> tuple[list[int], list[int]]:
    """Strides and channel multipliers (× dim) of the five or six up/down-sampling layers.

    16384 = 16 · 4⁵; longer slices add a sixth layer of stride 2 (32768) or 4 (65536) and start the
    generator at 32·dim channels instead of 16·dim (reference §3.2).
    """
    if slice_len == 16384:
        return [4, 4, 4, 4, 4], [16, 8, 4, 2, 1]
    if slice_len in (32768, 65536):
        return [4, 4, 4, 4, 4, 2 if slice_len == 32768 else 4], [32, 16, 8, 4, 2, 1]
    raise ValueError(f"slice_len must be one of {SLICE_LENS}, got {slice_len}")


@keras.saving.register_keras_serializable(package="wavegan")
class WaveGANGenerator(UpsamplingGenerator):
    """z [batch, latent_dim] → audio [batch, slice_len, num_channels] in [−1, 1] (without pp filter)."""

    def __init__(self, latent_dim: int = 100, slice_len: int = 16384, num_channels: int = 1,
                 dim: int = 64, kernel_len: int = 25, upsample: str = "zeros", batchnorm: bool = False,
                 post_proc_filter: bool = False, post_proc_len: int = 512, num_classes: int = 0, **kwargs):
        super().__init__(**kwargs)
        if upsample not in UPSAMPLES:
            raise ValueError(f"upsample must be one of {UPSAMPLES}, got {upsample!r}")
        self.slice_len, self.num_channels = slice_len, num_channels
        self.dim, self.kernel_len, self.upsample, self.batchnorm = dim, kernel_len, upsample, batchnorm
        self.post_proc_filter, self.post_proc_len = post_proc_filter, post_proc_len
        strides, multipliers = layer_plan(slice_len)
        out_channels = [dim * m for m in multipliers[1:]] + [num_channels]
        upconvs = [self._upsampling_conv(filters, stride, f"upconv_{i}")
                   for i, (stride, filters) in enumerate(zip(strides, out_channels))]
        # A learned FIR filter after the tanh (reference §3.2). The original always gave it one output
        # channel, breaking multichannel models; it maps num_channels → num_channels here.
        post = (layers.Conv1D(num_channels, post_proc_len, padding="same", use_bias=False, name="pp_filt")
                if post_proc_filter else None)
        self._make_layers(latent_dim, (16, dim * multipliers[0]), upconvs, batchnorm, post, num_classes)

    def _upsampling_conv(self, filters: int, stride: int, name: str) -> keras.layers.Layer:
        if self.upsample == "zeros":
            return StridedConv1DTranspose(filters, self.kernel_len, strides=stride, padding="same", name=name)
        return keras.Sequential([layers.UpSampling1D(stride),
                                 layers.Conv1D(filters, self.kernel_len, padding="same")], name=name)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.slice_len, self.num_channels)

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim, "slice_len": self.slice_len,
                "num_channels": self.num_channels, "dim": self.dim, "kernel_len": self.kernel_len,
                "upsample": self.upsample, "batchnorm": self.batchnorm,
                "post_proc_filter": self.post_proc_filter, "post_proc_len": self.post_proc_len,
                "num_classes": self.num_classes}
