import keras
import numpy as np
import pytest
import tensorflow as tf

from wavegan import losses
from wavegan.models import WaveGANDiscriminator, WaveGANGenerator
from wavegan.trainer import AdversarialTrainer


@pytest.fixture
def policy(request):
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(request.param)
    yield request.param
    keras.config.set_dtype_policy(previous)


@pytest.mark.parametrize("policy", ["float32", "mixed_bfloat16", "mixed_float16"], indirect=True)
def test_each_precision_trains_with_finite_losses(policy):
    g, d = WaveGANGenerator(dim=2, name="G"), WaveGANDiscriminator(dim=2, name="D")
    assert g.upconvs[0].compute_dtype == policy.replace("mixed_", "")
    g_opt, d_opt = losses.make_optimizer("wgan-gp"), losses.make_optimizer("wgan-gp")
    if policy == "mixed_float16":
        g_opt, d_opt = keras.optimizers.LossScaleOptimizer(g_opt), keras.optimizers.LossScaleOptimizer(d_opt)
    trainer = AdversarialTrainer(g, d, latent_dim=100, disc_nupdates=2, seed=0)
    trainer.compile(g_opt, d_opt, "wgan-gp", jit_compile=False)
    trainer.build_for_training((16384, 1))
    real = np.random.default_rng(0).uniform(-1, 1, (4, 2, 16384, 1)).astype(np.float32)
    before = [v.numpy().copy() for v in g.trainable_variables]
    history = trainer.fit(tf.data.Dataset.from_tensors(real).repeat(), steps_per_epoch=3, epochs=1, verbose=0)
    for name, values in history.history.items():
        assert np.all(np.isfinite(values)), name
    assert history.history["gradient_penalty"][-1] > 0
    assert all(v.dtype == "float32" for v in g.trainable_variables)  # master weights stay float32
    assert any(not np.allclose(b, v.numpy()) for b, v in zip(before, g.trainable_variables))
    out = g(np.zeros((1, 100), np.float32))
    assert out.dtype == "float32" and d(out).dtype == "float32"
