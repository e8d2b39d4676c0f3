"""Tiny models the tests build: a latent batch, a WaveGAN generator and critic built without a call, a
WaveNet with every term non-zero; a generator whose biases and statistics are far from their initial values."""

import numpy as np
import tensorflow as tf

from wavegan.models import WaveGANDiscriminator, WaveGANGenerator
from wavenet.models import WaveNet


Z = np.random.default_rng(0).uniform(-1, 1, (3, 100)).astype(np.float32)


def built(model, shape):
    model.build(shape)
    return model


def tiny_pair(num_classes=0, **kwargs):
    g = built(WaveGANGenerator(dim=4, num_classes=num_classes, name="G"), (None, 100))
    d = built(WaveGANDiscriminator(dim=4, num_classes=num_classes, name="D", **kwargs), (None, 16384, 1))
    return g, d


def randomized_generator(seed: int = 0, **kwargs) -> WaveGANGenerator:
    """A d=4 generator whose biases and batch-norm statistics are far from their initial 0/1, so the
    graph must carry them correctly."""
    generator = WaveGANGenerator(dim=4, name="G", **kwargs)
    generator.build((None, generator.latent_dim))
    rng = np.random.default_rng(seed)
    for w in generator.weights:
        if w.path.rsplit("/", 1)[-1] in ("bias", "beta", "gamma", "moving_mean", "moving_variance"):
            w.assign(rng.uniform(0.5, 1.5, w.shape).astype(np.float32))
    return generator


def small_wavenet(gc: bool = False, biases: bool = True, seed: int = 0) -> WaveNet:
    tf.keras.utils.set_random_seed(seed)
    model = WaveNet(dilations=[1, 2, 4, 8, 16] * 2, residual_channels=8, dilation_channels=8, skip_channels=16,
                    quantization_channels=32, use_biases=biases, gc_channels=4 if gc else 0,
                    gc_cardinality=3 if gc else 0, name="wavenet").build_for()
    rng = np.random.default_rng(seed)
    for v in model.trainable_variables:  # non-zero biases and a non-identity table exercise every term
        if "bias" in v.path or "embedding" in v.path:
            v.assign(rng.normal(0, 0.3, v.shape).astype(np.float32))
    return model
