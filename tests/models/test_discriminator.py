"""wavegan.models.discriminator: WaveGAN's critic, its phase shuffle, the harness."""

import numpy as np
import pytest
from keras import ops

from tests.harness import run_layer_test
from wavegan.models import WaveGANDiscriminator


def test_discriminator_shuffles_after_the_first_four_blocks_only():
    d = WaveGANDiscriminator(dim=2, phaseshuffle_rad=2)
    assert [ps is not None for ps in d.phase_shuffles] == [True, True, True, True, False]
    assert all(ps is None for ps in WaveGANDiscriminator(dim=2, phaseshuffle_rad=0).phase_shuffles)
    x = np.random.default_rng(0).normal(size=(3, 16384, 1)).astype(np.float32)
    # Inference is deterministic; training draws shifts.
    np.testing.assert_allclose(ops.convert_to_numpy(d(x)), ops.convert_to_numpy(d(x)))
    assert not np.allclose(ops.convert_to_numpy(d(x, training=True)), ops.convert_to_numpy(d(x, training=True)))


@pytest.mark.parametrize("kwargs,labels", [(dict(dim=2, batchnorm=True, phaseshuffle_rad=1), None),
                                           (dict(dim=2, num_classes=3), np.array([0, 2, 1]))])
def test_wavegan_discriminator_in_the_harness(kwargs, labels):
    run_layer_test(WaveGANDiscriminator, kwargs, input_shape=(3, 16384, 1),
                   call_kwargs={} if labels is None else {"labels": labels}, expected_output_shape=(3,))
