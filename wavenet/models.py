"""The WaveNet of ibab/tensorflow-wavenet (reference §B2–3) as Keras layers, keras.ops only.

Every convolution is unpadded ("valid") and aligned to its newest input: the network maps classes
[B, T] to logits [B, T − receptive_field + 1, Q], logit j predicting the sample after input j + RF − 1.
Kernels keep the original's [width, in, out] layout, tap 0 multiplying the oldest sample, so the fast
generator (wavenet/fast_generation.py) reads them directly.
"""

from __future__ import annotations

from typing import Sequence

import keras
from keras import ops

from wavegan.audio import mulaw


def causal_conv(x, kernel, dilation: int):
    """Valid dilated cross-correlation [B, W, in] → [B, W − (k−1)d, out] as a sum of matmuls, one per tap."""
    k = kernel.shape[0]
    width = ops.shape(x)[1] - (k - 1) * dilation
    out = None
    for tap in range(k):
        term = ops.matmul(x[:, tap * dilation: tap * dilation + width], kernel[tap])
        out = term if out is None else out + term
    return out


@keras.saving.register_keras_serializable(package="wavenet")
class CausalConv(keras.layers.Layer):
    """The initial causal layer: no bias, no activation (even with use_biases, §2.3)."""

    def __init__(self, filters: int, kernel_size: int, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size = filters, kernel_size

    def build(self, input_shape):
        self.kernel = self.add_weight(name="filter", shape=(self.kernel_size, input_shape[-1], self.filters),
                                      initializer="glorot_uniform")

    def call(self, x):
        return causal_conv(x, self.kernel, 1)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size}


@keras.saving.register_keras_serializable(package="wavenet")
class ResidualBlock(keras.layers.Layer):
    """One dilated layer: z = tanh(filter) ⊙ σ(gate); residual = newest(x) + z·W_dense; skip = z·W_skip.

    Filter and gate are separate kernels (as the original) run as one matmul per tap by concatenating
    them. Global conditioning adds e·W_gc to filter and gate before the bias (§3).
    """

    def __init__(self, dilation: int, filter_width: int, residual_channels: int, dilation_channels: int,
                 skip_channels: int, use_biases: bool, gc_channels: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.dilation, self.filter_width = dilation, filter_width
        self.residual_channels, self.dilation_channels = residual_channels, dilation_channels
        self.skip_channels, self.use_biases, self.gc_channels = skip_channels, use_biases, gc_channels

    def build(self, input_shape):
        k, r, dc, s = self.filter_width, self.residual_channels, self.dilation_channels, self.skip_channels
        glorot = "glorot_uniform"
        self.filter = self.add_weight(name="filter", shape=(k, r, dc), initializer=glorot)
        self.gate = self.add_weight(name="gate", shape=(k, r, dc), initializer=glorot)
        self.dense = self.add_weight(name="dense", shape=(dc, r), initializer=glorot)
        self.skip = self.add_weight(name="skip", shape=(dc, s), initializer=glorot)
        if self.gc_channels:
            self.gc_filter = self.add_weight(name="gc_filter", shape=(self.gc_channels, dc), initializer=glorot)
            self.gc_gate = self.add_weight(name="gc_gate", shape=(self.gc_channels, dc), initializer=glorot)
        if self.use_biases:
            self.filter_bias = self.add_weight(name="filter_bias", shape=(dc,), initializer="zeros")
            self.gate_bias = self.add_weight(name="gate_bias", shape=(dc,), initializer="zeros")
            self.dense_bias = self.add_weight(name="dense_bias", shape=(r,), initializer="zeros")
            self.skip_bias = self.add_weight(name="skip_bias", shape=(s,), initializer="zeros")

    def call(self, x, output_width, embedding=None):
        """x [B, W, R], embedding [B, G] or None → (residual [B, W − (k−1)d, R], skip [B, output_width, S])."""
        dc = self.dilation_channels
        pre = causal_conv(x, ops.concatenate([self.filter, self.gate], axis=-1), self.dilation)
        if self.gc_channels:
            pre = pre + ops.expand_dims(ops.matmul(embedding, ops.concatenate([self.gc_filter, self.gc_gate], -1)), 1)
        if self.use_biases:
            pre = pre + ops.concatenate([self.filter_bias, self.gate_bias])
        z = ops.tanh(pre[..., :dc]) * ops.sigmoid(pre[..., dc:])
        residual = x[:, (self.filter_width - 1) * self.dilation:] + ops.matmul(z, self.dense)
        skip = ops.matmul(z[:, ops.shape(z)[1] - output_width:], self.skip)
        if self.use_biases:
            residual, skip = residual + self.dense_bias, skip + self.skip_bias
        return residual, skip

    def get_config(self):
        return {**super().get_config(), "dilation": self.dilation, "filter_width": self.filter_width,
                "residual_channels": self.residual_channels, "dilation_channels": self.dilation_channels,
                "skip_channels": self.skip_channels, "use_biases": self.use_biases, "gc_channels": self.gc_channels}


def receptive_field(dilations: Sequence[int], filter_width: int, scalar_input: bool = False,
                    initial_filter_width: int = 32) -> int:
    """reference §B2.4."""
    first = initial_filter_width if scalar_input else filter_width
    return (filter_width - 1) * int(sum(dilations)) + 1 + (first - 1)


@keras.saving.register_keras_serializable(package="wavenet")
class WaveNet(keras.Model):
    """classes [B, T] (int) — with global conditioning (classes, ids [B]) — → logits [B, T − RF + 1, Q]."""

    def __init__(self, dilations: Sequence[int] = tuple([2 ** i for i in range(10)] * 5), filter_width: int = 2,
                 residual_channels: int = 32, dilation_channels: int = 32, skip_channels: int = 512,
                 quantization_channels: int = 256, use_biases: bool = True, scalar_input: bool = False,
                 initial_filter_width: int = 32, gc_channels: int = 0, gc_cardinality: int = 0,
                 l2_regularization_strength: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.dilations = [int(d) for d in dilations]
        self.filter_width, self.residual_channels = filter_width, residual_channels
        self.dilation_channels, self.skip_channels = dilation_channels, skip_channels
        self.quantization_channels, self.use_biases = quantization_channels, use_biases
        self.scalar_input, self.initial_filter_width = scalar_input, initial_filter_width
        self.gc_channels, self.gc_cardinality = gc_channels, gc_cardinality
        self.l2_regularization_strength = l2_regularization_strength
        self.receptive_field = receptive_field(self.dilations, filter_width, scalar_input, initial_filter_width)
        self.causal_layer = CausalConv(residual_channels, initial_filter_width if scalar_input else filter_width,
                                       name="causal_layer")
        self.blocks = [ResidualBlock(d, filter_width, residual_channels, dilation_channels, skip_channels,
                                     use_biases, gc_channels, name=f"layer{i}") for i, d in enumerate(self.dilations)]
        self.postprocess1 = keras.layers.Dense(skip_channels, use_bias=use_biases, name="postprocess1")
        self.postprocess2 = keras.layers.Dense(quantization_channels, use_bias=use_biases, name="postprocess2")
        if gc_channels:
            if gc_cardinality < 1:
                raise ValueError("global conditioning needs gc_cardinality ≥ 1")
            # §3: the identity when the table is square, Glorot-uniform otherwise.
            init = "identity" if gc_cardinality == gc_channels else "glorot_uniform"
            self.gc_embedding = self.add_weight(name="gc_embedding", shape=(gc_cardinality, gc_channels),
                                                initializer=init)

    def _inputs(self, inputs):
        if self.gc_channels:
            classes, ids = inputs
            return classes, ops.take(self.gc_embedding, ops.cast(ops.reshape(ids, (-1,)), "int32"), axis=0)
        return inputs, None

    def encode_input(self, classes):
        """Classes → the first layer's input: one-hot [B, T, Q], or the decoded μ-law value [B, T, 1]."""
        if self.scalar_input:
            return ops.expand_dims(mulaw.decode(classes, self.quantization_channels), -1)
        return ops.one_hot(ops.cast(classes, "int32"), self.quantization_channels)

    def forward(self, inputs, collect_inputs: bool = False):
        """logits, and with `collect_inputs` also every block's input [B, W_ℓ, R] (to prime fast generation)."""
        classes, embedding = self._inputs(inputs)
        x = self.causal_layer(self.encode_input(classes))
        output_width = ops.shape(classes)[1] - self.receptive_field + 1
        skips, block_inputs = None, []
        for block in self.blocks:
            if collect_inputs:
                block_inputs.append(x)
            x, skip = block(x, output_width=output_width, embedding=embedding)
            skips = skip if skips is None else skips + skip
        logits = self.postprocess2(ops.relu(self.postprocess1(ops.relu(skips))))
        return (logits, block_inputs) if collect_inputs else logits

    def call(self, inputs):
        return self.forward(inputs)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        loss = super().compute_loss(x, y, y_pred, sample_weight, training)
        if self.l2_regularization_strength:
            # §4: λ·Σ½‖v‖² over every trainable variable (the original's "bias" filter matched nothing).
            loss = loss + self.l2_regularization_strength * sum(
                ops.sum(ops.square(v)) / 2.0 for v in self.trainable_variables)
        return loss

    def build(self, input_shape=None):
        """Creates every variable from the settings alone (no forward pass over a receptive field)."""
        self.causal_layer.build((None, None, 1 if self.scalar_input else self.quantization_channels))
        for block in self.blocks:
            block.build((None, None, self.residual_channels))
        self.postprocess1.build((None, None, self.skip_channels))
        self.postprocess2.build((None, None, self.skip_channels))
        self.built = True

    def build_for(self) -> "WaveNet":
        self.build()
        return self

    def example_inputs(self, classes, ids=None):
        return (classes, ids) if self.gc_channels else classes

    def get_config(self):
        return {**super().get_config(), "dilations": self.dilations, "filter_width": self.filter_width,
                "residual_channels": self.residual_channels, "dilation_channels": self.dilation_channels,
                "skip_channels": self.skip_channels, "quantization_channels": self.quantization_channels,
                "use_biases": self.use_biases, "scalar_input": self.scalar_input,
                "initial_filter_width": self.initial_filter_width, "gc_channels": self.gc_channels,
                "gc_cardinality": self.gc_cardinality, "l2_regularization_strength": self.l2_regularization_strength}
