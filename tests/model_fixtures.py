"""Tiny WaveGAN models the tests build: a latent batch, and a generator and critic built without a call."""

import numpy as np

from wavegan.models import WaveGANDiscriminator, WaveGANGenerator


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
