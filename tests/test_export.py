"""The exported signatures compute what the generator computes (the export runs faster layer forms)."""

import os

import numpy as np
import tensorflow as tf

from wavegan.export import export_generator
from wavegan.gan import Renderer
from wavegan.models import WaveGANGenerator


def test_export_outputs_equal_the_generator_up_to_float_rounding(tmp_path):
    generator = WaveGANGenerator(dim=4, num_channels=2)
    generator.build((None, 100))
    path = export_generator(generator, os.path.join(tmp_path, "saved_model"), {"latent_dim": 100}, Renderer())
    loaded = tf.saved_model.load(path)
    z = np.random.default_rng(0).uniform(-1, 1, (5, 100)).astype(np.float32)
    expected = generator(z, training=False).numpy()
    out = loaded.signatures["serving_default"](z=tf.constant(z))
    np.testing.assert_allclose(out["G_z"].numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(np.abs(out["G_z_int16"].numpy().astype(int) - (expected * 32767).astype(int)) <= 1,
                                  True)
    flat = loaded.signatures["flat"](z=tf.constant(z), flat_pad=tf.constant(3))["G_z_flat"].numpy()
    np.testing.assert_allclose(flat.reshape(5, -1, 2)[:, :16384], expected, rtol=1e-5, atol=1e-6)
    # The first layer's trained kernel is not stored beside its faster form.
    shapes = {tuple(shape) for _, shape in tf.train.list_variables(os.path.join(path, "variables", "variables"))}
    assert (25, 32, 64) not in shapes and (7, 64, 4 * 32) in shapes
