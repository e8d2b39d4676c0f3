"""One writer per train dir: a second `train` is refused at once in one sentence naming the running process;
the lock dies with its holder (SIGKILL, reboot); readers never take it; every model kind and only the chief
of a multi-worker run take it."""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import tensorflow as tf

from tests import helpers
from tests.faults import faults
from wavegan import registry
from wavegan.errors import UserError
from wavegan.train import lock
from wavegan.train.lock import TrainDirLock


def test_a_second_writer_is_refused_at_once_naming_the_first(tmp_path, capsys):
    train_dir = str(tmp_path / "train")
    with TrainDirLock(train_dir):
        record = json.load(open(os.path.join(train_dir, lock.LOCK_FILE)))
        assert record["pid"] == os.getpid() and record["host"] == socket.gethostname()
        status, err = faults.run_as_script(capsys, lambda: TrainDirLock(train_dir).acquire())
        assert status == 2
        faults.assert_one_sentence(err, f"{train_dir} is already being trained by process {os.getpid()} on host "
                                        f"{socket.gethostname()}", "started ", "stop that run first")
    assert not os.path.exists(os.path.join(train_dir, lock.LOCK_FILE))  # released and removed on exit
    with TrainDirLock(train_dir):  # and free for the next run
        pass


def test_a_failed_start_leaves_no_folder_it_made(tmp_path):
    train_dir = str(tmp_path / "new")
    with pytest.raises(RuntimeError):
        with TrainDirLock(train_dir):
            raise RuntimeError("the data dir was empty")
    assert not os.path.exists(train_dir)


def test_a_lock_file_left_by_a_killed_run_is_no_lock(tmp_path):
    """After SIGKILL or a reboot the file remains, the OS lock does not: the next run takes it."""
    train_dir = str(tmp_path)
    with open(os.path.join(train_dir, lock.LOCK_FILE), "w") as f:
        json.dump({"pid": 999999, "host": socket.gethostname(), "started": "yesterday", "command": "train"}, f)
    with TrainDirLock(train_dir):
        assert json.load(open(os.path.join(train_dir, lock.LOCK_FILE)))["pid"] == os.getpid()


@pytest.fixture
def no_os_locks(monkeypatch):
    def unsupported(fd, operation):
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    monkeypatch.setattr(lock.fcntl, "flock", unsupported)


@pytest.mark.parametrize("holder, refused", [
    ({"pid": os.getppid(), "host": socket.gethostname(), "boot": lock.boot_id()}, "already being trained"),
    ({"pid": 999999, "host": socket.gethostname(), "boot": lock.boot_id()}, None),
    ({"pid": os.getppid(), "host": socket.gethostname(), "boot": "an earlier boot"}, None),
    ({"pid": 1234, "host": "another-machine"}, "delete"),
    ({}, None),
])
def test_without_os_locks_the_holders_record_decides(holder, refused, tmp_path, capsys, no_os_locks):
    with open(tmp_path / lock.LOCK_FILE, "w") as f:
        json.dump(holder, f)
    status, err = faults.run_as_script(capsys, lambda: TrainDirLock(str(tmp_path)).acquire().release())
    if refused:
        assert status == 2
        faults.assert_one_sentence(err, refused, f"process {holder['pid']} on host {holder['host']}")
    else:
        assert status == 0 and err == []


def test_the_gan_train_mode_takes_the_lock_on_the_chief_only(tmp_path, monkeypatch):
    from wavegan.train import adversarial, distribute

    train_dir = str(tmp_path)
    reached = []

    def past_the_lock(run, *args, **kwargs):
        reached.append(os.path.exists(os.path.join(train_dir, lock.LOCK_FILE)))
        raise KeyboardInterrupt  # stop before any training

    monkeypatch.setattr(adversarial.data, "prepare_files", past_the_lock)  # the first step after the lock
    with TrainDirLock(train_dir):
        with pytest.raises(UserError, match="already being trained"):
            adversarial.train_run(train_dir, faults.tiny_run(), lambda chief: None)
        monkeypatch.setattr(distribute, "is_chief", lambda strategy: False)  # a multi-worker run's other worker
        with pytest.raises(KeyboardInterrupt):
            adversarial.train_run(train_dir, faults.tiny_run(), lambda chief: None)
    assert reached == [True]
    monkeypatch.setattr(distribute, "is_chief", lambda strategy: True)
    with pytest.raises(KeyboardInterrupt):
        adversarial.train_run(train_dir, faults.tiny_run(), lambda chief: None)
    assert reached == [True, True] and not os.path.exists(os.path.join(train_dir, lock.LOCK_FILE))


@pytest.mark.parametrize("name", ["wavenet", "framernn"])
def test_the_baselines_train_mode_takes_the_lock(name, tmp_path):
    from wavegan.cli import modes

    trained = []
    kind = dataclasses.replace(registry.get(name), make_run=lambda settings, train_dir: None,
                               train=lambda train_dir, run, on_start: trained.append(
                                   os.path.exists(os.path.join(train_dir, lock.LOCK_FILE))))
    with TrainDirLock(str(tmp_path)):
        with pytest.raises(UserError, match="already being trained"):
            modes.train(kind, str(tmp_path), registry.Settings(given=frozenset()))
    modes.train(kind, str(tmp_path), registry.Settings(given=frozenset()))
    assert trained == [True]


def test_two_writers_of_one_export_take_turns(tmp_path):
    """Training's export and `infer` write the same folder: the second waits for the first's swap."""
    path, order = str(tmp_path / "saved_model.lock"), []

    def second_writer():
        with lock.exclusive(path):
            order.append("second")

    with lock.exclusive(path):
        waiter = threading.Thread(target=second_writer)
        waiter.start()
        time.sleep(0.3)
        order.append("first done")
    waiter.join(5)
    assert order == ["first done", "second"]


# ----------------------------------------------------------------------------------- end to end (script)


def start_training(train_dir, *flags):
    cmd = [sys.executable, os.path.join(helpers.REPO, "train_wavegan.py"), "train", train_dir, *helpers.TINY, *flags]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=helpers.script_env())


def wait_for(condition, timeout=300.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_a_second_trainer_is_refused_and_a_killed_trainers_lock_is_stale(tmp_path):
    train_dir = str(tmp_path / "train")
    first = start_training(train_dir)
    try:
        assert wait_for(lambda: tf.train.latest_checkpoint(train_dir) is not None)
        second = helpers.run_script("train_wavegan.py", "train", train_dir, *helpers.TINY, check=False)
        errors = [line for line in second.stderr.splitlines() if line.startswith("error: ")]
        assert second.returncode == 2 and "Traceback" not in second.stderr and len(errors) == 1, second.stderr
        assert f"already being trained by process {first.pid} on host {socket.gethostname()}" in errors[0]
        assert "Resumed" not in second.stdout  # refused before touching anything
        # A reader is never refused while training runs.
        preview = helpers.run_script("train_wavegan.py", "preview", train_dir, "--preview_once", "--preview_n", "2")
        assert "wrote" in preview.stdout
        assert first.poll() is None
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate()
    assert os.path.exists(os.path.join(train_dir, lock.LOCK_FILE))  # the file stays, its lock died
    newest = tf.train.latest_checkpoint(train_dir)
    saved, step = faults.tensors(newest), int(newest.rsplit("-", 1)[1])
    proc = helpers.run_script("train_wavegan.py", "train", train_dir, *helpers.TINY, "--train_max_steps", str(step))
    assert f"Resumed from {newest} at step {step}" in proc.stdout and "error" not in proc.stderr
    assert not os.path.exists(os.path.join(train_dir, lock.LOCK_FILE))
    faults.assert_same_weights_on_resume(train_dir, newest, saved, str(tmp_path))


@pytest.mark.slow
@pytest.mark.parametrize("script", ["train_wavegan.py", "train_wavenet.py"])
def test_under_jax_a_second_trainer_is_refused_too(script, tmp_path):
    """The lock is the train mode's, whatever the backend: a GAN and a baseline started under JAX on a train dir
    that another process trains are refused in one sentence before anything is written."""
    train_dir = str(tmp_path / "train")
    with TrainDirLock(train_dir):
        proc = helpers.run_command([sys.executable, os.path.join(helpers.REPO, script), "train", train_dir],
                                   env=helpers.jax_env(), check=False)
        assert sorted(os.listdir(train_dir)) == [lock.LOCK_FILE]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and len(errors) == 1, proc.stderr
    assert f"already being trained by process {os.getpid()}" in errors[0]
