"""specgan.models: SpecGAN's generator and critic (parameter counts, shapes, conditioning), through the harness."""

import numpy as np
import pytest
import tensorflow as tf

from specgan.models import SpecGANDiscriminator, SpecGANGenerator
from tests.harness import run_layer_test
from tests.model_fixtures import Z, built


@pytest.mark.parametrize("upsample", ["zeros", "nn", "lin", "cub"])
def test_parameter_counts_equal_spec(upsample):
    g = SpecGANGenerator(upsample=upsample)
    g.build((None, 100))
    d = SpecGANDiscriminator()
    d.build((None, 128, 128, 1))
    assert (g.count_params(), d.count_params()) == (19_065_345, 17_427_969)


@pytest.mark.parametrize("upsample", ["zeros", "nn", "lin", "cub"])
def test_shapes_and_config_round_trip(upsample):
    # The config round trip (and saving, and mixed precision) is the harness's.
    g = run_layer_test(SpecGANGenerator, dict(dim=2, upsample=upsample, batchnorm=True), input_shape=(2, 100),
                       expected_output_shape=(2, 128, 128, 1))
    spec = g(np.random.uniform(-1, 1, (2, 100)).astype(np.float32), training=True)
    assert tuple(spec.shape) == (2, 128, 128, 1) and float(tf.reduce_max(tf.abs(spec))) <= 1
    d = SpecGANDiscriminator(dim=2, batchnorm=True)
    assert tuple(d(spec).shape) == (2,)


def test_specgan_conditions_the_same_way():
    g = built(SpecGANGenerator(dim=2, num_classes=3), (None, 100))
    d = built(SpecGANDiscriminator(dim=2, num_classes=3), (None, 128, 128, 1))
    spectrograms = g(Z, labels=np.array([0, 1, 2]))
    assert tuple(spectrograms.shape) == (3, 128, 128, 1)
    assert tuple(d(spectrograms, labels=np.array([2, 1, 0])).shape) == (3,)
    assert d.projection.embeddings.shape == (3, 4 * 4 * 2 * 16)  # reference §4.5: 128 → 4 after five strides of 2


@pytest.mark.parametrize("kwargs,labels", [(dict(dim=2, batchnorm=True), None),
                                           (dict(dim=2, num_classes=3), np.array([0, 2, 1]))])
def test_specgan_discriminator_in_the_harness(kwargs, labels):
    run_layer_test(SpecGANDiscriminator, kwargs, input_shape=(3, 128, 128, 1),
                   call_kwargs={} if labels is None else {"labels": labels}, expected_output_shape=(3,))
