import numpy as np
import pytest
import tensorflow as tf

from wavegan import checkpoints, losses
from wavegan.models import WaveGANDiscriminator, WaveGANGenerator
from wavegan.trainer import AdversarialTrainer


def make_trainer(seed):
    g = WaveGANGenerator(dim=2, batchnorm=True, post_proc_filter=True, post_proc_len=8, name="G")
    d = WaveGANDiscriminator(dim=2, batchnorm=True, name="D")
    trainer = AdversarialTrainer(g, d, latent_dim=100, disc_nupdates=2, seed=seed)
    trainer.compile(losses.make_optimizer("wgan-gp"), losses.make_optimizer("wgan-gp"), "wgan-gp", jit_compile=False)
    trainer.build_for_training((16384, 1))
    return trainer


def everything(trainer):
    """Model variables by path, optimiser variables (whose names carry instance counters) by position."""
    values = {v.path: v.numpy() for v in trainer.generator.variables + trainer.discriminator.variables
              if "seed_generator" not in v.path}
    for name in ("g_optimizer", "d_optimizer"):
        values.update({f"{name}[{i}]": v.numpy() for i, v in enumerate(getattr(trainer, name).variables)})
    return values


def test_every_model_and_optimizer_variable_round_trips(tmp_path):
    trainer = make_trainer(0)
    real = np.random.default_rng(0).uniform(-1, 1, (2, 4, 16384, 1)).astype(np.float32)
    trainer.train_step(tf.constant(real))  # moves weights, BN statistics and optimiser slots off their init
    manager = checkpoints.make_manager(str(tmp_path), generator=trainer.generator, discriminator=trainer.discriminator,
                                       g_optimizer=trainer.g_optimizer, d_optimizer=trainer.d_optimizer)
    path = manager.save(checkpoint_number=1)
    saved = everything(trainer)

    fresh = make_trainer(1)
    assert any(not np.array_equal(saved[k], v) for k, v in everything(fresh).items())
    fresh_manager = checkpoints.make_manager(str(tmp_path), generator=fresh.generator, discriminator=fresh.discriminator,
                                             g_optimizer=fresh.g_optimizer, d_optimizer=fresh.d_optimizer)
    fresh_manager.checkpoint.restore(path).assert_consumed()
    restored = everything(fresh)
    assert restored.keys() == saved.keys()
    for key in saved:
        np.testing.assert_array_equal(restored[key], saved[key], err_msg=key)
    assert any("moving_mean" in k for k in saved)  # batch-norm statistics are in there too

    generator_only = WaveGANGenerator(dim=2, batchnorm=True, post_proc_filter=True, post_proc_len=8, name="G")
    generator_only.build((None, 100))
    checkpoints.restore_generator(generator_only, path)
    for v in generator_only.variables:
        np.testing.assert_array_equal(v.numpy(), saved[v.path], err_msg=v.path)


def test_checkpoint_names_follow_the_original_scopes(tmp_path):
    trainer = make_trainer(0)
    path = checkpoints.make_manager(str(tmp_path), generator=trainer.generator).save(checkpoint_number=3)
    names = tf.train.load_checkpoint(path).get_variable_to_shape_map()
    assert any("G.Supconv_0.Skernel" in n for n in names), sorted(names)[:5]
    assert checkpoints.checkpoint_step(path) == 3
