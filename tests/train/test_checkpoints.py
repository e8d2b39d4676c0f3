"""wavegan.train.checkpoints: every variable round trips, the original's names, a NaN keeps the last good
checkpoint, how many are kept, and checkpoints shared by the TensorFlow and JAX backends."""

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tests import helpers
from wavegan.train import checkpoints
from wavegan.train import losses
from wavegan.models import WaveGANDiscriminator, WaveGANGenerator
from wavegan.train.trainer import AdversarialTrainer


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
    real = np.random.default_rng(0).uniform(-1, 1, (4, 2, 16384, 1)).astype(np.float32)
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


def test_a_nan_loss_stops_training_and_keeps_the_last_good_checkpoint(tmp_path, capsys):
    from wavegan.train import callbacks as cbs
    from wavegan.cli.runner import report_user_errors

    trainer = make_trainer(0)
    manager = checkpoints.make_manager(str(tmp_path), generator=trainer.generator, discriminator=trainer.discriminator,
                                       g_optimizer=trainer.g_optimizer, d_optimizer=trainer.d_optimizer)
    good = np.random.default_rng(0).uniform(-1, 1, (2, 2, 16384, 1)).astype(np.float32)
    poisoned = np.full_like(good, np.nan)
    data = tf.data.Dataset.from_tensor_slices(np.stack([good, good, poisoned, good]))
    step = trainer.step
    callbacks = [cbs.NanGuard(step), cbs.TimedCheckpoint(manager, step, save_secs=0)]
    with pytest.raises(cbs.TrainingDiverged, match="step 3"):
        trainer.fit(data, epochs=1, steps_per_epoch=4, callbacks=callbacks, verbose=0)
    assert manager.latest_checkpoint.endswith("model.ckpt-2")
    restored = WaveGANGenerator(dim=2, batchnorm=True, post_proc_filter=True, post_proc_len=8, name="G")
    restored.build((None, 100))
    checkpoints.restore_generator(restored, manager.latest_checkpoint)
    assert all(np.isfinite(v.numpy()).all() for v in restored.variables)

    def diverging_main(argv):
        raise cbs.TrainingDiverged("d_loss, g_loss became non-finite at step 3")

    with pytest.raises(SystemExit) as exit_info:
        report_user_errors(diverging_main)(["train_wavegan.py"])
    assert exit_info.value.code == 3
    message = capsys.readouterr().err.strip()
    assert len(message.splitlines()) == 1 and "last good checkpoint is kept" in message


def test_keep_checkpoints_sets_how_many_are_kept(tmp_path):
    from wavegan.train import adversarial as training
    from wavegan.config import TrainConfig
    from wavegan.errors import UserError

    trainer = AdversarialTrainer(WaveGANGenerator(dim=2), WaveGANDiscriminator(dim=2), latent_dim=100)
    trainer.compile(losses.make_optimizer("wgan-gp"), losses.make_optimizer("wgan-gp"), "wgan-gp")
    trainer.build_for_training((16384, 1))
    manager = checkpoints.adversarial_manager(trainer, str(tmp_path), TrainConfig(keep_checkpoints=2).validate().keep_checkpoints)
    for step in (1, 2, 3):
        manager.save(checkpoint_number=step)
    assert [checkpoints.checkpoint_step(p) for p in manager.checkpoints] == [2, 3]
    with pytest.raises(UserError, match="--train_keep_checkpoints"):
        TrainConfig(keep_checkpoints=0).validate()


@pytest.mark.slow
@helpers.requires_jax
def test_checkpoints_resume_across_backends_value_for_value(tmp_path):
    """TensorFlow writes, JAX restores every value (weights, optimiser slots, step counters) and writes
    changed values, TensorFlow restores those."""
    from tests.train.jax_checkpoint_run import parts, tiny_trainer, values

    from wavegan.train import checkpoints

    trainer = tiny_trainer()
    rng = np.random.default_rng(0)
    for part in parts(trainer).values():
        for v in part.variables:
            if "seed_generator" not in v.path and "float" in str(v.dtype):
                v.assign(rng.normal(size=v.shape).astype(np.float32))
    trainer.g_optimizer.iterations.assign(5)
    trainer.d_optimizer.iterations.assign(5)
    written = values(trainer)
    tf_dir, jax_dir = tmp_path / "tf", tmp_path / "jax"
    jax_dir.mkdir()
    path = checkpoints.make_manager(str(tf_dir), **parts(trainer)).save(checkpoint_number=5)

    proc = subprocess.run([sys.executable, os.path.join(helpers.REPO, "tests", "train", "jax_checkpoint_run.py"),
                           path, str(jax_dir)], capture_output=True, text=True, env=helpers.jax_env(), timeout=300)
    assert proc.returncode == 0, proc.stderr
    restored = np.load(jax_dir / "restored.npz")
    assert sorted(restored.files) == sorted(written)
    for key, value in written.items():
        np.testing.assert_array_equal(restored[key], value, err_msg=key)

    fresh = tiny_trainer()
    jax_path = tf.train.latest_checkpoint(str(jax_dir))
    assert jax_path.endswith("model.ckpt-12")
    checkpoints.model_checkpoint(**parts(fresh)).restore(jax_path).assert_existing_objects_matched()
    for key, value in values(fresh).items():
        expected = written[key] + (7 if key.endswith("optimizer/0") else 1 if value.dtype.kind == "f" else 0)
        np.testing.assert_allclose(value, expected, rtol=1e-6, err_msg=key)
    assert int(fresh.step.numpy()) == 12
