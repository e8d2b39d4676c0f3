"""Label conditioning: the generator's class embedding beside z and the critic's projection head
(docs/differences.md, label conditioning; keras.ops only)."""

from __future__ import annotations

import keras
from keras import ops


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
