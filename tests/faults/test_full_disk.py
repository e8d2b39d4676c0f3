"""Full, read-only and forbidden disks at every write site: checkpoint, export, summaries, config, moments,
the lock, backup.py. Real small file systems (tmpfs, mounted as root) where this machine allows them,
injected faults otherwise (EACCES: root may write anywhere). Each run stops with exit status 2 and one
sentence naming the disk, its free space, the newest complete checkpoint and the fix; nothing temporary
stays; the next start resumes to the weights of the newest complete checkpoint."""

from __future__ import annotations

import errno
import glob
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import backup
from tests import helpers
from tests.faults import faults
from wavegan import config, storage
from wavegan.errors import StorageError
from wavegan.serve import export
from wavegan.train import callbacks as cbs
from wavegan.train import checkpoints, events
from wavegan.train.lock import TrainDirLock


def train_until_fault(train_dir, steps, snapshots, scratch, on_saved=None):
    """A run as the train loop runs it: storage faults end it through `storage_faults_stop_training`."""
    trainer, manager, _ = faults.start(train_dir)
    with checkpoints.storage_faults_stop_training(train_dir):
        faults.train_steps(trainer, manager, steps, snapshots, scratch, on_saved=on_saved)


# ------------------------------------------------------------------------------------------ checkpoint


def test_a_full_disk_during_a_checkpoint_stops_the_run_in_one_sentence_and_loses_nothing(tmp_path, capsys):
    snapshots = {}
    with faults.small_disk(str(tmp_path / "disk"), "1600k") as disk:  # one 1 MB checkpoint fits, two do not
        train_dir = os.path.join(disk, "train")
        status, err = faults.run_as_script(capsys, lambda: train_until_fault(train_dir, 3, snapshots, str(tmp_path)))
        first = os.path.join(train_dir, "model.ckpt-1")
        assert status == 2 and list(snapshots) == [first]
        line = faults.assert_one_sentence(
            err, f"No space left on device while saving {train_dir}/model.ckpt-2", f"mounted at {disk} has ",
            f"the newest complete checkpoint is {first}, where rerunning the same command resumes",
            "--train_keep_checkpoints")
        assert " free)" in line
        assert not faults.leftovers(train_dir)
        faults.assert_next_start_resumes(train_dir, first, snapshots[first], str(tmp_path))


def test_a_forbidden_checkpoint_write_names_the_permission_fix(tmp_path, capsys, monkeypatch):
    train_dir, snapshots = str(tmp_path / "train"), {}
    trainer, manager, _ = faults.start(train_dir)
    faults.train_steps(trainer, manager, 1, snapshots, str(tmp_path))
    real_write = manager.checkpoint._write

    def denied(prefix, options=None):  # as TensorFlow fails: its temporary folder made, then the error
        os.makedirs(prefix + "_temp")
        open(os.path.join(prefix + "_temp", "part-00000-of-00001.data-00000-of-00001.tempstate1"), "wb").close()
        raise tf.errors.PermissionDeniedError(None, None, f"{prefix}_temp; Permission denied")

    monkeypatch.setattr(manager.checkpoint, "_write", denied)

    status, err = faults.one_more_step_as_script(capsys, trainer, manager, train_dir, snapshots, str(tmp_path))
    first = os.path.join(train_dir, "model.ckpt-1")
    assert status == 2
    faults.assert_one_sentence(err, f"Permission denied while saving {train_dir}/model.ckpt-2",
                               f"make {train_dir} writable", f"newest complete checkpoint is {first}")
    assert not faults.leftovers(train_dir)
    monkeypatch.setattr(manager.checkpoint, "_write", real_write)
    faults.assert_next_start_resumes(train_dir, first, snapshots[first], str(tmp_path))


def test_a_read_only_disk_stops_the_run_and_the_next_start_resumes(tmp_path, capsys):
    snapshots = {}
    with faults.small_disk(str(tmp_path / "disk"), "8m") as disk:
        train_dir = os.path.join(disk, "train")
        trainer, manager, _ = faults.start(train_dir)
        faults.train_steps(trainer, manager, 1, snapshots, str(tmp_path))
        faults.remount(disk, "ro")

        status, err = faults.one_more_step_as_script(capsys, trainer, manager, train_dir, snapshots, str(tmp_path))
        first = os.path.join(train_dir, "model.ckpt-1")
        assert status == 2
        faults.assert_one_sentence(err, "Read-only file system while saving", f"remount {disk} read-write",
                                   f"newest complete checkpoint is {first}")
        faults.remount(disk, "rw")
        assert not faults.leftovers(train_dir)
        faults.assert_next_start_resumes(train_dir, first, snapshots[first], str(tmp_path))


# ---------------------------------------------------------------------------------------------- export


def test_a_full_disk_during_the_export_keeps_the_previous_export_and_stops_the_run(tmp_path, capsys):
    train_dir, snapshots = str(tmp_path / "train"), {}
    export_dir = os.path.join(train_dir, export.EXPORT_SUBDIR)
    os.makedirs(export_dir)
    with open(os.path.join(export_dir, export.INFO_FILE), "w") as f:
        f.write('{"step": 0}')

    class FullDisk:  # a SavedModel writer that runs out of space half-way
        def write_out(self, path, verbose=True):
            os.makedirs(os.path.join(path, "variables"))
            with open(os.path.join(path, "variables", "variables.data-00000-of-00001"), "wb") as f:
                f.write(b"\0" * 1000)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), os.path.join(path, "variables"))

    def refresh(path, step):
        export.write_archive(FullDisk(), export_dir, {"step": step}, export.INFO_FILE)

    status, err = faults.run_as_script(capsys, lambda: train_until_fault(train_dir, 2, snapshots, str(tmp_path),
                                                                          on_saved=refresh))
    first = os.path.join(train_dir, "model.ckpt-1")
    assert status == 2
    faults.assert_one_sentence(err, f"No space left on device while writing the SavedModel export {export_dir}",
                               f"newest complete checkpoint is {first}", "--train_keep_checkpoints")
    assert open(os.path.join(export_dir, export.INFO_FILE)).read() == '{"step": 0}'  # the previous export stays
    assert not faults.leftovers(train_dir) and not glob.glob(export_dir + ".*")
    faults.assert_next_start_resumes(train_dir, first, snapshots[first], str(tmp_path))


def test_the_jax_exporters_storage_fault_stops_the_run_too(tmp_path):
    """SubprocessExporter (the JAX backend's export, in a TensorFlow child): a child that ends with the
    storage status raises StorageError in the trainer; any other failure is only a warning."""
    exporter = export.SubprocessExporter(str(tmp_path), str(tmp_path / "infer"))
    fault = f"No space left on device while writing the SavedModel export {tmp_path}/infer (the disk ... free)"
    exporter.proc = subprocess.Popen([sys.executable, "-c", f"import sys; sys.exit({export.STORAGE_FAULT_STATUS})"])
    exporter.errors = open(tmp_path / "errors", "w+")
    exporter.errors.write(f"error: {fault}\n")
    with pytest.raises(StorageError) as caught:
        exporter.wait()
    assert caught.value.fault == fault and caught.value.errno == errno.ENOSPC
    message = checkpoints.stopped_training(caught.value, str(tmp_path)).args[0]
    assert message.startswith(fault) and "rerunning the same command starts afresh" in message


# ------------------------------------------------------------------------------------------- summaries


def test_a_full_disk_for_summaries_warns_once_and_training_goes_on(tmp_path, caplog, capsys):
    """The summaries' disk is full (here another disk than the checkpoints'): one warning, and the run
    goes on checkpointing to its end."""
    train_dir, snapshots = str(tmp_path / "train"), {}
    with faults.small_disk(str(tmp_path / "disk"), "400k") as disk:
        faults.fill(disk)
        writer = events.file_writer(disk)
        trainer, manager, _ = faults.start(train_dir)
        summaries = cbs.ScalarSummaries(writer, trainer.step, 0, cbs.SCALAR_NAMES)

        def run():
            with checkpoints.storage_faults_stop_training(train_dir):
                faults.train_steps(trainer, manager, 3, snapshots, str(tmp_path), callbacks=[summaries])

        status, err = faults.run_as_script(capsys, run)
        assert status == 0 and err == []
        warnings = [r.getMessage() for r in caplog.records if "TensorBoard summaries" in r.getMessage()]
        assert len(warnings) == 1 and f"in {disk} are not being written" in warnings[0]
        assert "training and its checkpoints go on" in warnings[0]
        newest = os.path.join(train_dir, "model.ckpt-3")
        faults.assert_next_start_resumes(train_dir, newest, snapshots[newest], str(tmp_path))


def test_summaries_on_a_read_only_disk_are_skipped_with_a_warning(tmp_path, caplog):
    with faults.small_disk(str(tmp_path / "disk"), "1m") as disk:
        faults.remount(disk, "ro")
        writer = events.file_writer(disk)
        with writer.as_default(step=1):
            tf.summary.scalar("loss", 1.0)
        writer.flush()
        warnings = [r.getMessage() for r in caplog.records if "TensorBoard summaries" in r.getMessage()]
        assert len(warnings) == 1 and "Read-only file system" in warnings[0]


def test_summaries_that_reach_the_disk_say_nothing(tmp_path, caplog):
    writer = events.file_writer(str(tmp_path))
    for step in range(3):
        with writer.as_default(step=step):
            tf.summary.scalar("loss", 1.0)
        writer.flush()
    writer.flush()  # nothing new: no check
    assert not [r for r in caplog.records if "TensorBoard" in r.getMessage()]


# --------------------------------------------------------------------------------------- config, moments


def test_a_full_disk_writing_the_config_keeps_the_old_one_and_no_temporary(tmp_path, capsys):
    snapshots = {}
    with faults.small_disk(str(tmp_path / "disk"), "2m") as disk:
        train_dir = os.path.join(disk, "train")
        trainer, manager, _ = faults.start(train_dir)
        faults.train_steps(trainer, manager, 1, snapshots, str(tmp_path))
        config.save_run_config(train_dir, faults.tiny_run())
        before = open(os.path.join(train_dir, config.CONFIG_FILE)).read()
        faults.fill(disk)

        def resume_writes_settings():  # the train mode's on_start, inside the run's storage guard
            with checkpoints.storage_faults_stop_training(train_dir):
                config.save_run_config(train_dir, faults.tiny_run())
                config.write_args_txt(train_dir, {"mode": "train"})

        status, err = faults.run_as_script(capsys, resume_writes_settings)
        first = os.path.join(train_dir, "model.ckpt-1")
        assert status == 2
        faults.assert_one_sentence(err, f"No space left on device while writing {train_dir}/config.json",
                                   f"newest complete checkpoint is {first}")
        assert open(os.path.join(train_dir, config.CONFIG_FILE)).read() == before
        assert not faults.leftovers(train_dir)
        os.remove(os.path.join(disk, "ballast"))
        faults.assert_next_start_resumes(train_dir, first, snapshots[first], str(tmp_path))


def test_a_forbidden_config_write_is_one_sentence(tmp_path, capsys, monkeypatch):
    def denied(fd):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(os, "fsync", denied)
    status, err = faults.run_as_script(capsys, lambda: config.write_args_txt(str(tmp_path), {"a": 1}))
    assert status == 2
    faults.assert_one_sentence(err, f"Permission denied while writing {tmp_path}/args.txt", "writable")
    assert os.listdir(tmp_path) == []


def test_a_full_disk_writing_the_moments_leaves_no_partial_file(tmp_path, capsys):
    from specgan import gan, transforms

    moments = transforms.Moments(np.zeros(transforms.N_BINS, np.float32), np.ones(transforms.N_BINS, np.float32))
    source = str(tmp_path / "moments.npz")
    moments.save(source)
    with faults.small_disk(str(tmp_path / "disk"), "1m") as disk:
        train_dir = os.path.join(disk, "train")
        os.makedirs(train_dir)
        faults.fill(disk)
        status, err = faults.run_as_script(capsys, lambda: moments.save(os.path.join(disk, "moments.npz")))
        assert status == 2
        faults.assert_one_sentence(err, f"No space left on device while writing the moments to {disk}/moments.npz")
        status, err = faults.run_as_script(capsys, lambda: gan.adopt_moments(train_dir, source))
        assert status == 2
        faults.assert_one_sentence(err, f"No space left on device while copying the moments to {train_dir}")
        assert not faults.leftovers(disk) and sorted(os.listdir(disk)) == ["ballast", "train"]
        assert os.listdir(train_dir) == []


# ------------------------------------------------------------------------------------- lock, pre-flight


def test_a_read_only_train_dir_refuses_the_lock_in_one_sentence(tmp_path, capsys):
    with faults.small_disk(str(tmp_path / "disk"), "1m") as disk:
        os.makedirs(os.path.join(disk, "train"))
        faults.remount(disk, "ro")
        status, err = faults.run_as_script(capsys, lambda: TrainDirLock(os.path.join(disk, "train")).acquire())
        assert status == 2
        faults.assert_one_sentence(err, "Read-only file system while taking the lock", "read-write")


def test_a_disk_too_small_for_the_run_is_said_once_before_training(tmp_path, caplog):
    with faults.small_disk(str(tmp_path / "disk"), "3m") as disk:
        train_dir = os.path.join(disk, "train")
        trainer, manager, _ = faults.start(train_dir)
        size = checkpoints.variable_bytes(trainer.generator, trainer.discriminator, trainer.g_optimizer,
                                          trainer.d_optimizer)
        warning = checkpoints.warn_if_disk_too_small(train_dir, size, 5, checkpoints.variable_bytes(trainer.generator))
        assert warning is not None and "6 checkpoints of 1.0 MB with --train_keep_checkpoints 5" in warning
        assert f"(mounted at {disk}) has " in warning and "keep fewer checkpoints" in warning
        assert [r.getMessage() for r in caplog.records if r.name == "wavegan"] == [warning]
        assert checkpoints.warn_if_disk_too_small(train_dir, size, 1) is None  # two fit in 3 MB


# --------------------------------------------------------------------------------------------- backup.py


def test_backup_on_a_full_disk_stops_in_one_sentence_and_leaves_no_partial_copy(tmp_path, capsys):
    snapshots = {}
    with faults.small_disk(str(tmp_path / "disk"), "3m") as disk:  # room for the checkpoint and one copy
        train_dir = os.path.join(disk, "train")
        trainer, manager, _ = faults.start(train_dir)
        faults.train_steps(trainer, manager, 1, snapshots, str(tmp_path))
        faults.fill(disk, leave=100_000)  # not room for a 1 MB copy
        capsys.readouterr()
        assert backup.main([train_dir, "60", "--once"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        faults.assert_one_sentence(err, f"No space left on device while backing up into {train_dir}/backup",
                                   "--keep N")
        assert os.listdir(os.path.join(train_dir, "backup")) == []
        os.remove(os.path.join(disk, "ballast"))
        assert backup.main([train_dir, "60", "--once"]) == 0
        first = os.path.join(train_dir, "model.ckpt-1")
        faults.assert_same(faults.tensors(os.path.join(train_dir, "backup", "model.ckpt-1")), snapshots[first])
        faults.assert_next_start_resumes(train_dir, first, snapshots[first], str(tmp_path))


# ----------------------------------------------------------------------------------------- the safety net


def test_a_storage_fault_no_site_words_still_ends_in_one_sentence(capsys):
    def anywhere():
        raise tf.errors.ResourceExhaustedError(None, None, "/data/run/preview/00000002.wav; No space left on device")

    status, err = faults.run_as_script(capsys, anywhere)
    assert status == 2
    faults.assert_one_sentence(err, "No space left on device while writing /data/run/preview/00000002.wav (the disk "
                                    "mounted at / has ", "free some space")

    def out_of_memory():  # TensorFlow's other ResourceExhaustedError is not a disk's
        raise tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor with shape[64,1024]")

    with pytest.raises(tf.errors.ResourceExhaustedError):
        faults.run_as_script(capsys, out_of_memory)
    assert storage.fault_errno(OSError(errno.ENOENT, "missing")) is None


# ----------------------------------------------------------------------------------- end to end (script)


@pytest.mark.slow
def test_train_script_on_a_small_disk_stops_in_one_sentence_and_resumes_where_it_stopped(tmp_path):
    """train_wavegan.py (d=8: 9 MB checkpoints) on a 24 MB tmpfs: the pre-flight warning, then a save or an
    export finds the disk full; after the disk grows, the same command resumes from the newest complete one."""
    with faults.small_disk(str(tmp_path / "disk"), "24m") as disk:
        train_dir = os.path.join(disk, "train")
        proc = helpers.run_script("train_wavegan.py", "train", train_dir, *helpers.TINY, "--train_max_steps", "20",
                                  check=False)
        errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr and len(errors) == 1, proc.stderr
        assert "but this run will write about" in proc.stderr  # the pre-flight warning
        newest = tf.train.latest_checkpoint(train_dir)
        assert "No space left on device while " in errors[0]
        assert f"the newest complete checkpoint is {newest}, where rerunning the same command resumes" in errors[0]
        assert not faults.leftovers(train_dir)
        saved = faults.tensors(newest)
        faults.remount(disk, "size=200m")
        step = int(newest.rsplit("-", 1)[1])
        proc = helpers.run_script("train_wavegan.py", "train", train_dir, *helpers.TINY,
                                  "--train_max_steps", str(step))
        assert f"Resumed from {newest} at step {step}" in proc.stdout
        faults.assert_same_weights_on_resume(train_dir, newest, saved, str(tmp_path))
