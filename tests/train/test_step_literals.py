"""One adversarial train step from fixed weights and data gives the numbers the code gave before the
library was split into layers (recorded with commit 350221a on this test's exact setup): moving code must
not move a single number."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from wavegan.models import WaveGANDiscriminator, WaveGANGenerator
from wavegan.train import losses
from wavegan.train.trainer import AdversarialTrainer

# Printed by 350221a for exactly this setup (seed 0, d=4, latent 8, two critic updates, two sine batches).
RECORDED_LOGS = {"d_loss": 8.572781562805176, "g_loss": 0.0005517312092706561,
                 "gradient_penalty": 0.8571392893791199, "wasserstein": -0.0013887720415368676}
RECORDED_ABS_SUMS = {"G": 2279.57958984375, "D": 1998.5093994140625}


def test_one_step_from_fixed_weights_and_data_gives_the_recorded_numbers():
    keras.utils.set_random_seed(0)
    g = WaveGANGenerator(latent_dim=8, dim=4, name="G")
    d = WaveGANDiscriminator(dim=4, name="D")
    trainer = AdversarialTrainer(g, d, 8, disc_nupdates=2, seed=0)
    trainer.compile(losses.make_optimizer("wgan-gp"), losses.make_optimizer("wgan-gp"), "wgan-gp", jit_compile=False)
    trainer.build_for_training((16384, 1))
    t = np.arange(16384) / 16000.0
    real = np.stack([np.stack([0.5 * np.sin(2 * np.pi * f * t) for f in (220.0 * (1 + b), 330.0 * (1 + b))])
                     for b in range(2)])[..., None]
    logs = {k: float(v) for k, v in trainer.train_step(tf.constant(real, tf.float32)).items()}
    assert logs == pytest.approx(RECORDED_LOGS, rel=1e-6, abs=1e-9)
    sums = {name: float(sum(np.sum(np.abs(v.numpy())) for v in model.trainable_variables))
            for name, model in (("G", g), ("D", d))}
    assert sums == pytest.approx(RECORDED_ABS_SUMS, rel=1e-6)
