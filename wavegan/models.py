"""WaveGAN's generator and discriminator (SPEC §3), keras.ops only so any backend runs them.

Layer names follow the original's variable scopes (z_project, upconv_i, downconv_i, pp_filt, output)
so a reader can hold this file next to SPEC §3.5.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from wavegan.config import SLICE_LENS, UPSAMPLES
from wavegan.layers import (ClassEmbedding, PhaseShuffle, ProjectionHead, StridedConv1D, StridedConv1DTranspose,
                            inference_form, leaky_relu, with_dtype)

# Size of the generator's learned class embedding, concatenated with z (docs/differences.md).
LABEL_EMBED_DIM = 50


def layer_plan(slice_len: int) -> tuple[list[int], list[int]]:
    """Strides and channel multipliers (× dim) of the five or six up/down-sampling layers.

    16384 = 16 · 4⁵; longer slices add a sixth layer of stride 2 (32768) or 4 (65536) and start the
    generator at 32·dim channels instead of 16·dim (SPEC §3.2).
    """
    if slice_len == 16384:
        return [4, 4, 4, 4, 4], [16, 8, 4, 2, 1]
    if slice_len in (32768, 65536):
        return [4, 4, 4, 4, 4, 2 if slice_len == 32768 else 4], [32, 16, 8, 4, 2, 1]
    raise ValueError(f"slice_len must be one of {SLICE_LENS}, got {slice_len}")


def build_layer(layer: keras.layers.Layer, input_shape: tuple) -> tuple:
    """Builds `layer` for `input_shape` without running it; returns its output shape."""
    layer.build(input_shape)
    return layer.compute_output_shape(input_shape)


class UpsamplingGenerator(keras.Model):
    """The DCGAN-style generator both GANs share (SPEC §3.2, §4.4):

    dense → reshape → [batch norm] → ReLU → (upsampling conv → [batch norm] → ReLU)* → last conv → tanh
    → [post-processing filter]. Subclasses create the layers with `_make_layers` and own get_config.

    With `num_classes` > 0 the generator is label-conditional: a learned class embedding is
    concatenated with z before the dense layer, and `call` needs `labels` (int [batch], or class weights
    [batch, num_classes] to mix classes). With 0 (the default) nothing is added: the model, its
    variables and its outputs are exactly the unconditional ones.
    """

    def _make_layers(self, latent_dim: int, start_shape: tuple, upconvs: list, batchnorm: bool,
                     post_filter: keras.layers.Layer | None = None, num_classes: int = 0) -> None:
        self.latent_dim, self.num_classes = latent_dim, num_classes
        # Initialised U(−1, 1) like z itself, so the class speaks as loudly as the noise from the start.
        self.label_embedding = None
        if num_classes:
            self.label_embedding = ClassEmbedding(num_classes, LABEL_EMBED_DIM,
                                                  keras.initializers.RandomUniform(-1.0, 1.0), name="label_embedding")
        self.z_project = layers.Dense(int(np.prod(start_shape)), name="z_project")
        self.z_reshape = layers.Reshape(start_shape)
        self.z_project_bn = layers.BatchNormalization(name="z_project_bn") if batchnorm else None
        self.upconvs = upconvs
        self.upconv_bns = [layers.BatchNormalization(name=f"upconv_{i}_bn") if batchnorm and i < len(upconvs) - 1
                           else None for i in range(len(upconvs))]
        self.pp_filt = post_filter

    def build(self, input_shape):
        if self.label_embedding is not None:
            build_layer(self.label_embedding, (input_shape[0],))
            input_shape = (input_shape[0], input_shape[-1] + self.label_embedding.dim)
        shape = self.z_reshape.compute_output_shape(build_layer(self.z_project, input_shape))
        if self.z_project_bn is not None:
            build_layer(self.z_project_bn, shape)
        for conv, bn in zip(self.upconvs, self.upconv_bns):
            shape = build_layer(conv, shape)
            if bn is not None:
                build_layer(bn, shape)
        if self.pp_filt is not None:
            build_layer(self.pp_filt, shape)
        self.built = True

    def inference_upconvs(self, dtype: str | None = None) -> list:
        """The upsampling layers in their faster inference forms (a snapshot of the current weights),
        to pass as `call(..., upconvs=...)`: what the export runs.

        With `dtype` ("bfloat16") they compute in that precision, weights rounded to it: ~98% of the
        generator's arithmetic; the dense projection, batch norm and post-processing filter stay as
        they are (cheap), and the output leaves in float32 as always.
        """
        shape = self.z_reshape.compute_output_shape(self.z_project.compute_output_shape((None, self.latent_dim)))
        forms = []
        for conv in self.upconvs:
            forms.append(inference_form(with_dtype(conv, dtype) if dtype else conv, shape[1]))
            shape = conv.compute_output_shape(shape)
        return forms

    def call(self, z, labels=None, training=False, upconvs=None):
        if self.label_embedding is not None:
            if labels is None:
                raise ValueError(f"{self.name} is conditional on {self.num_classes} classes: pass labels")
            z = ops.concatenate([z, ops.cast(self.label_embedding(labels), z.dtype)], axis=-1)
        elif labels is not None:
            raise ValueError(f"{self.name} is unconditional: it takes no labels")
        return self.from_projection(self.z_reshape(self.z_project(z)), training=training, upconvs=upconvs)

    def from_projection(self, x, training=False, upconvs=None):
        """The generator after its dense projection and reshape: what the original's artifact study fed
        its impulses into (`G/Reshape:0`, SPEC §9.4)."""
        if self.z_project_bn is not None:
            x = self.z_project_bn(x, training=training)
        x = ops.relu(x)
        for i, (conv, bn) in enumerate(zip(upconvs or self.upconvs, self.upconv_bns)):
            x = conv(x)
            if i == len(self.upconvs) - 1:
                x = ops.tanh(x)
            else:
                if bn is not None:
                    x = bn(x, training=training)
                x = ops.relu(x)
        if self.pp_filt is not None:
            x = self.pp_filt(x)
        return ops.cast(x, "float32")  # audio / spectrograms leave in float32 under mixed precision


class DownsamplingDiscriminator(keras.Model):
    """The critic both GANs share (SPEC §3.3, §4.5): (strided conv → [batch norm] → LeakyReLU(0.2) →
    [phase shuffle])* → flatten → dense → one logit per example, shape [batch].

    With `num_classes` > 0 it is a projection discriminator (Miyato & Koyama 2018): the logit gains
    ⟨embed(y), flattened features⟩ and `call` needs `labels` [batch]; with 0 nothing is added."""

    def _make_layers(self, downconvs: list, batchnorm: bool, phase_shuffles: list, num_classes: int = 0) -> None:
        self.num_classes = num_classes
        self.projection = ProjectionHead(num_classes, name="projection") if num_classes else None
        self.downconvs = downconvs
        self.downconv_bns = [layers.BatchNormalization(name=f"downconv_{i}_bn") if batchnorm and i > 0 else None
                             for i in range(len(downconvs))]
        self.phase_shuffles = phase_shuffles
        self.flatten = layers.Flatten()
        self.logit = layers.Dense(1, name="output")

    def build(self, input_shape):
        shape = input_shape
        for conv, bn, shuffle in zip(self.downconvs, self.downconv_bns, self.phase_shuffles):
            shape = build_layer(conv, shape)
            if bn is not None:
                build_layer(bn, shape)
            if shuffle is not None:  # no weights, but Keras under tf.distribute wants every layer built
                build_layer(shuffle, shape)
        features_shape = build_layer(self.flatten, shape)
        build_layer(self.logit, features_shape)
        if self.projection is not None:
            self.projection.build(features_shape)
        self.built = True

    def call(self, x, labels=None, training=False):
        features = self.features(x, training=training)
        logit = ops.squeeze(self.logit(features), axis=-1)
        if self.projection is not None:
            if labels is None:
                raise ValueError(f"{self.name} is conditional on {self.num_classes} classes: pass labels")
            logit = logit + self.projection(features, labels)
        elif labels is not None:
            raise ValueError(f"{self.name} is unconditional: it takes no labels")
        # Logits in float32 under mixed precision: the losses and the gradient penalty stay exact.
        return ops.cast(logit, "float32")

    def features(self, x, training=False):
        """The penultimate features φ(x) [batch, features] that the output layer (and projection) read."""
        for conv, bn, shuffle in zip(self.downconvs, self.downconv_bns, self.phase_shuffles):
            x = conv(x)
            if bn is not None:
                # The original's D batch norm always uses batch statistics (SPEC §3.3).
                x = bn(x, training=True)
            x = leaky_relu(x, 0.2)
            if shuffle is not None:
                x = shuffle(x, training=training)
        return self.flatten(x)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],)


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
        # A learned FIR filter after the tanh (SPEC §3.2). The original always gave it one output
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
        # Phase shuffle after the first four blocks only (SPEC §3.3).
        shuffles = [PhaseShuffle(phaseshuffle_rad, name=f"phase_shuffle_{i}") if phaseshuffle_rad > 0 and i < 4
                    else None for i in range(len(downconvs))]
        self._make_layers(downconvs, batchnorm, shuffles, num_classes)

    def get_config(self):
        return {**super().get_config(), "slice_len": self.slice_len, "num_channels": self.num_channels,
                "dim": self.dim, "kernel_len": self.kernel_len, "batchnorm": self.batchnorm,
                "phaseshuffle_rad": self.phaseshuffle_rad, "num_classes": self.num_classes}
