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
