"""Small building blocks shared by the models (keras.ops only, so they run on any backend)."""

from __future__ import annotations

import keras
from keras import ops


def leaky_relu(x, negative_slope: float = 0.2):
    """x · (1 if x > 0 else slope): the values of the original's `lrelu`, max(x, slope·x).

    Written as x times a mask rather than `ops.leaky_relu` for the gradient penalty's sake: the mask
    depends on x only through a comparison, which has no gradient, so differentiating the penalty does
    not push zero cotangents back through the whole forward pass of D(x̂). TensorFlow's LeakyReluGrad
    does (its second derivative returns zeros_like(x), which every conv below back-propagates as real
    work); the maximum form avoids that too but its select-based gradient costs more (docs/benchmarks.md).
    """
    return x * ops.cast(ops.where(x > 0, 1.0, negative_slope), x.dtype)  # bfloat16 x under mixed precision


@keras.saving.register_keras_serializable(package="wavegan")
class PhaseShuffle(keras.layers.Layer):
    """Shifts a [batch, time, channels] tensor by one random φ ∈ {−rad … rad} per call (SPEC §3.4).

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


def one_hot(labels, num_classes: int):
    """Class indices [batch] → float one-hot rows [batch, num_classes].

    The embedding layers look rows up by multiplying with these rather than with `ops.take`: a
    gather's gradient is sparse under TensorFlow, and Keras applies Adam to sparse gradients with
    repeated rows (a batch holds each class many times, and real, fake and interpolates add up) by a
    per-slice update whose moments differ from Adam on the summed gradient. The product is exact
    (one 1, the rest 0) and its gradient is the dense sum.
    """
    return ops.one_hot(ops.cast(labels, "int32"), num_classes, dtype="float32")


@keras.saving.register_keras_serializable(package="wavegan")
class ClassEmbedding(keras.layers.Layer):
    """A learned vector per class: labels [batch] (int) → [batch, dim].

    Float class weights [batch, num_classes] give the weighted mix of the vectors instead, which is
    how generation walks from one class to another (one-hot weights give exactly the class's vector).
    """

    def __init__(self, num_classes: int, dim: int, initializer="random_uniform", **kwargs):
        super().__init__(**kwargs)
        if num_classes < 1 or dim < 1:
            raise ValueError(f"ClassEmbedding needs num_classes and dim >= 1, got {num_classes}, {dim}")
        self.num_classes, self.dim = int(num_classes), int(dim)
        self.initializer = keras.initializers.get(initializer)

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(shape=(self.num_classes, self.dim), initializer=self.initializer,
                                          name="embeddings")
        self.built = True

    def call(self, labels):
        weights = labels if len(labels.shape) == 2 else one_hot(labels, self.num_classes)
        return ops.matmul(ops.cast(weights, self.embeddings.dtype), self.embeddings)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.dim)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "dim": self.dim,
                "initializer": keras.initializers.serialize(self.initializer)}


@keras.saving.register_keras_serializable(package="wavegan")
class ProjectionHead(keras.layers.Layer):
    """The class term of a projection discriminator (Miyato & Koyama 2018): ⟨embed(y), φ(x)⟩ per example.

    φ(x) [batch, features] are the critic's penultimate features; the critic's logit is its usual
    linear output plus this term, so a label reaches the logit only through its embedding row.
    """

    def __init__(self, num_classes: int, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = int(num_classes)

    def build(self, features_shape):
        # Glorot on [classes, features]: the same scale as the critic's Dense(1) output kernel.
        self.embeddings = self.add_weight(shape=(self.num_classes, int(features_shape[-1])),
                                          initializer="glorot_uniform", name="embeddings")
        self.built = True

    def call(self, features, labels):
        rows = ops.matmul(one_hot(labels, self.num_classes), self.embeddings)
        return ops.sum(ops.cast(rows, features.dtype) * features, axis=-1)

    def compute_output_shape(self, features_shape):
        return (features_shape[0],)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}
