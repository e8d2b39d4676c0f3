"""SpecGAN's generator and discriminator (reference §4.4–4.5): WaveGAN's stacks in 2-D, 5×5 kernels, stride 2.

keras.ops only. `lin` / `cub` upsampling (the original's CLI offered them and then crashed) resize ×2
bilinearly / bicubically before a stride-1 convolution, like `nn` with nearest neighbour.
"""

from __future__ import annotations

import keras
from keras import layers

from specgan.config import SPECGAN_UPSAMPLES
from wavegan.layers import DownsamplingDiscriminator, UpsamplingGenerator

_RESIZE = {"nn": "nearest", "lin": "bilinear", "cub": "bicubic"}
_MULTIPLIERS = [16, 8, 4, 2, 1]  # × dim, from the 4×4 start to the last hidden layer


@keras.saving.register_keras_serializable(package="specgan")
class SpecGANGenerator(UpsamplingGenerator):
    """z [batch, latent_dim] → normalised spectrogram [batch, 128, 128, 1] in [−1, 1]."""

    def __init__(self, latent_dim: int = 100, dim: int = 64, kernel_len: int = 5, upsample: str = "zeros",
                 batchnorm: bool = False, num_classes: int = 0, **kwargs):
        super().__init__(**kwargs)
        if upsample not in SPECGAN_UPSAMPLES:
            raise ValueError(f"upsample must be one of {SPECGAN_UPSAMPLES}, got {upsample!r}")
        self.dim, self.kernel_len, self.upsample, self.batchnorm = dim, kernel_len, upsample, batchnorm
        out_channels = [dim * m for m in _MULTIPLIERS[1:]] + [1]
        upconvs = [self._upsampling_conv(filters, f"upconv_{i}") for i, filters in enumerate(out_channels)]
        self._make_layers(latent_dim, (4, 4, dim * _MULTIPLIERS[0]), upconvs, batchnorm, num_classes=num_classes)

    def _upsampling_conv(self, filters: int, name: str) -> keras.layers.Layer:
        if self.upsample == "zeros":
            return layers.Conv2DTranspose(filters, self.kernel_len, strides=2, padding="same", name=name)
        return keras.Sequential([layers.UpSampling2D(2, interpolation=_RESIZE[self.upsample]),
                                 layers.Conv2D(filters, self.kernel_len, padding="same")], name=name)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 128, 128, 1)

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim, "dim": self.dim,
                "kernel_len": self.kernel_len, "upsample": self.upsample, "batchnorm": self.batchnorm,
                "num_classes": self.num_classes}


@keras.saving.register_keras_serializable(package="specgan")
class SpecGANDiscriminator(DownsamplingDiscriminator):
    """Normalised spectrogram [batch, 128, 128, 1] → one logit per example. No phase shuffle (as the original)."""

    def __init__(self, dim: int = 64, kernel_len: int = 5, batchnorm: bool = False, num_classes: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.dim, self.kernel_len, self.batchnorm = dim, kernel_len, batchnorm
        downconvs = [layers.Conv2D(dim * m, kernel_len, strides=2, padding="same", name=f"downconv_{i}")
                     for i, m in enumerate(reversed(_MULTIPLIERS))]
        self._make_layers(downconvs, batchnorm, [None] * len(downconvs), num_classes)

    def get_config(self):
        return {**super().get_config(), "dim": self.dim, "kernel_len": self.kernel_len, "batchnorm": self.batchnorm,
                "num_classes": self.num_classes}
