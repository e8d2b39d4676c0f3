"""What the fault tests share: a tiny GAN trainer and its manager as the train loop makes them, a small
real file system (tmpfs), running a failing call as a script's main does (exit status, stderr), and the
check every fault test ends with: the next start resumes to the weights of the newest complete
checkpoint, tensor for tensor."""

from __future__ import annotations

import contextlib
import os
import subprocess
import uuid

import numpy as np
import pytest
import tensorflow as tf

from wavegan.cli.runner import report_user_errors
from wavegan.models import WaveGANDiscriminator, WaveGANGenerator
from wavegan.train import checkpoints, losses
from wavegan.train.trainer import AdversarialTrainer

LATENT = 100


def tiny_trainer(seed: int = 0) -> AdversarialTrainer:
    g = WaveGANGenerator(dim=2, name="G")
    d = WaveGANDiscriminator(dim=2, name="D")
    trainer = AdversarialTrainer(g, d, latent_dim=LATENT, disc_nupdates=1, seed=seed)
    trainer.compile(losses.make_optimizer("wgan-gp"), losses.make_optimizer("wgan-gp"), "wgan-gp", jit_compile=False)
    trainer.build_for_training((16384, 1))
    return trainer


def real_batches(n: int, seed: int = 0) -> np.ndarray:
    """n critic batches of 2 clips: [n, batch, disc_nupdates, time, channels]."""
    return np.random.default_rng(seed).uniform(-1, 1, (n, 2, 1, 16384, 1)).astype(np.float32)


def take_step(trainer: AdversarialTrainer, rng: np.random.Generator) -> None:
    """What a train step changes, without its cost: new weights and optimiser slots, one more generator update."""
    for v in trainer.generator.trainable_variables + trainer.discriminator.trainable_variables + \
            trainer.g_optimizer.variables + trainer.d_optimizer.variables:
        if "float" in str(v.dtype) and "learning_rate" not in v.path:
            v.assign(rng.normal(size=v.shape).astype(np.float32))
    trainer.g_optimizer.iterations.assign_add(1)


def train_steps(trainer: AdversarialTrainer, manager, n: int, snapshots: dict, scratch: str, on_saved=None,
                callbacks=(), seed: int = 0) -> None:
    """`n` steps of the train loop's callbacks with a checkpoint after each (TimedCheckpoint, save_secs 0);
    each checkpoint's tensors are recorded as it is written (`snapshots`), checked against what the
    trainer held then."""
    from wavegan.train import callbacks as cbs

    def record(path, step):
        snapshots[path] = tensors(path)
        assert_same(snapshots[path], state_of(manager, scratch))
        if on_saved is not None:
            on_saved(path, step)

    rng = np.random.default_rng(seed)
    every = [*callbacks, cbs.TimedCheckpoint(manager, trainer.step, 0, on_saved=record)]
    for callback in every:
        callback.on_train_begin()
    for batch in range(n):
        take_step(trainer, rng)
        logs = {"d_loss": float(rng.normal()), "g_loss": float(rng.normal())}
        for callback in every:
            callback.on_train_batch_end(batch, logs)
    for callback in every:
        callback.on_train_end()


def start(train_dir: str, seed: int = 0, keep: int = checkpoints.CHECKPOINTS_KEPT):
    """What a train run does before its first step (adversarial._train): tidy up, make the manager, restore."""
    trainer = tiny_trainer(seed)
    checkpoints.prepare_to_resume(train_dir)
    manager = checkpoints.adversarial_manager(trainer, train_dir, keep)
    resumed = checkpoints.restore_latest(manager)
    return trainer, manager, resumed


def tensors(prefix: str) -> dict[str, np.ndarray]:
    """Every tensor of a checkpoint but the save counter and the object graph (bookkeeping, not weights)."""
    reader = tf.train.load_checkpoint(prefix)
    return {key: reader.get_tensor(key) for key in reader.get_variable_to_shape_map()
            if not key.startswith(("save_counter", "_CHECKPOINTABLE"))}


def state_of(manager, folder: str) -> dict[str, np.ndarray]:
    """What the manager's objects hold now, as checkpoint tensors (written aside, not into the run)."""
    return tensors(manager.checkpoint.write(os.path.join(folder, f"state-{uuid.uuid4().hex}")))


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def assert_next_start_resumes(train_dir: str, expected_prefix: str, saved: dict, scratch: str) -> None:
    """The next start restores `expected_prefix`, whose tensors are still `saved` (taken when it was
    written), and holds exactly those weights and optimiser slots afterwards."""
    _, manager, resumed = start(train_dir, seed=1)
    assert resumed == expected_prefix, (resumed, expected_prefix)
    assert_same(tensors(expected_prefix), saved)
    assert_same(state_of(manager, scratch), saved)


def run_as_script(capsys, body) -> tuple[int, list[str]]:
    """Runs `body()` as a script's main runs (wavegan.cli.runner): its exit status and stderr lines."""
    capsys.readouterr()
    try:
        report_user_errors(lambda argv: body())(["script"])
        status = 0
    except SystemExit as e:
        status = e.code
    return status, capsys.readouterr().err.strip().splitlines()


def one_more_step_as_script(capsys, trainer, manager, train_dir: str, snapshots: dict, tmp: str) -> tuple[int, list[str]]:
    """One more step and its checkpoint, under the train mode's storage-fault handling, run as a script runs."""
    from wavegan.train import checkpoints

    def more():
        with checkpoints.storage_faults_stop_training(train_dir):
            train_steps(trainer, manager, 1, snapshots, tmp, seed=1)

    return run_as_script(capsys, more)


def assert_one_sentence(lines: list[str], *phrases: str) -> str:
    """stderr is one `error: ...` line, no traceback, holding every phrase."""
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert "Traceback" not in lines[0]
    for phrase in phrases:
        assert phrase in lines[0], (phrase, lines[0])
    return lines[0]


def leftovers(train_dir: str) -> list[str]:
    """Temporary files and folders a failed write could leave."""
    found = []
    for root, dirs, files in os.walk(train_dir):
        found += [os.path.join(root, n) for n in dirs + files
                  if "_temp" in n or ".tmp" in n or n.endswith((".partial", ".staging", ".retired"))]
    return found


@contextlib.contextmanager
def small_disk(folder: str, size: str):
    """A real tmpfs of `size` mounted at `folder` (needs root); the test is skipped where mounting is not allowed."""
    os.makedirs(folder, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", folder], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.strip() or proc.returncode}): the injected faults cover it")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", folder], capture_output=True)


def remount(folder: str, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", folder], check=True, capture_output=True)


def fill(folder: str, leave: int = 0) -> None:
    """Fills the disk of `folder` until `leave` bytes are free."""
    free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
    with open(os.path.join(folder, "ballast"), "wb") as f:
        f.write(b"\0" * max(0, free - leave))


def tiny_run():
    """The RunConfig of `tiny_trainer`'s models, as config.json holds it."""
    from wavegan.config import DataConfig, RunConfig, TrainConfig
    from wavegan.models.config import WaveGANConfig

    return RunConfig(model_type="wavegan", data=DataConfig(), model=WaveGANConfig(dim=2), train=TrainConfig())


def assert_same_weights_on_resume(train_dir: str, newest: str, saved: dict, scratch: str) -> None:
    """The run's own trainer (from config.json), restored as a start restores: the newest complete checkpoint."""
    from wavegan.config import load_run_config
    from wavegan.models.kind import wavegan_gan
    from wavegan.train import losses
    from wavegan.train.trainer import AdversarialTrainer

    run, kind = load_run_config(train_dir), wavegan_gan()
    trainer = AdversarialTrainer(kind.build_generator(run), kind.build_discriminator(run), run.model.latent_dim,
                                 run.model.disc_nupdates)
    trainer.compile(losses.make_optimizer(run.model.loss), losses.make_optimizer(run.model.loss), run.model.loss,
                    jit_compile=False)
    trainer.build_for_training(kind.critic_input_shape(run))
    manager = checkpoints.adversarial_manager(trainer, train_dir)
    assert checkpoints.restore_latest(manager) == newest
    assert_same(tensors(newest), saved)
    assert_same(state_of(manager, scratch), saved)
