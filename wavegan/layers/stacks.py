"""The skeletons both GANs share: an upsampling generator (dense projection, then transposed or
upsample-and-convolve layers) and a downsampling critic (strided convolutions, LeakyReLU(0.2), phase
shuffle, one logit), reference §3.2, §3.3, §4.4, §4.5; keras.ops only. WaveGAN (wavegan.models) and
SpecGAN fill them with 1-D and 2-D layers."""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from wavegan.layers.activations import leaky_relu
from wavegan.layers.conditioning import ClassEmbedding, ProjectionHead
from wavegan.layers.conv import inference_form, with_dtype

# Size of the generator's learned class embedding, concatenated with z (docs/differences.md).
LABEL_EMBED_DIM = 50


def build_layer(layer: keras.layers.Layer, input_shape: tuple) -> tuple:
    """Builds `layer` for `input_shape` without running it; returns its output shape."""
    layer.build(input_shape)
    return layer.compute_output_shape(input_shape)


class UpsamplingGenerator(keras.Model):
    """The DCGAN-style generator both GANs share (reference §3.2, §4.4):

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
        its impulses into (`G/Reshape:0`, reference §9.4)."""
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
    """The critic both GANs share (reference §3.3, §4.5): (strided conv → [batch norm] → LeakyReLU(0.2) →
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
                # The original's D batch norm always uses batch statistics (reference §3.3).
                x = bn(x, training=True)
            x = leaky_relu(x, 0.2)
            if shuffle is not None:
                x = shuffle(x, training=training)
        return self.flatten(x)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],)
