"""A damaged newest checkpoint (cut short by a full disk, a partial copy or a failed sync; empty; its index
broken; a flipped byte) beside an intact older one: training resumes from the older one with one warning
naming the damaged one, which is moved aside, never deleted; the reading modes fall back the same way or
refuse in one sentence; backup.py never copies it. When none can be read: one sentence, nothing changed."""

from __future__ import annotations

import glob
import os

import pytest
import tensorflow as tf

import backup
from tests import helpers
from tests.faults import faults
from wavegan.models.kind import wavegan_gan
from wavegan.train import checkpoints


def data_file(prefix):
    return glob.glob(prefix + ".data-*")[0]


def cut(path, keep):
    with open(path, "r+b") as f:
        f.truncate(keep)


def flip(path):
    with open(path, "r+b") as f:
        f.seek(os.path.getsize(path) // 2)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0xFF]))


DAMAGES = {
    "data cut in half": lambda p: cut(data_file(p), os.path.getsize(data_file(p)) // 2),
    "data one byte short": lambda p: cut(data_file(p), os.path.getsize(data_file(p)) - 1),
    "empty data": lambda p: cut(data_file(p), 0),
    "empty index": lambda p: cut(p + ".index", 0),
    "index cut in half": lambda p: cut(p + ".index", os.path.getsize(p + ".index") // 2),
    "data missing": lambda p: os.remove(data_file(p)),
    "a flipped byte": lambda p: flip(data_file(p)),  # same length: found by the restore's checksums
}


def two_checkpoints(train_dir, scratch):
    """ckpt-1 and ckpt-2 written by the train loop's callbacks, with their tensors as written."""
    trainer, manager, _ = faults.start(train_dir)
    snapshots = {}
    faults.train_steps(trainer, manager, 2, snapshots, scratch)
    return [os.path.join(train_dir, f"model.ckpt-{step}") for step in (1, 2)], snapshots


def files_of(prefix):
    return {os.path.basename(p): open(p, "rb").read() for p in glob.glob(prefix + ".*")}


def warnings(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "wavegan" and r.levelname == "WARNING"]


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_training_resumes_from_the_newest_readable_checkpoint_and_sets_the_damaged_one_aside(
        damage, tmp_path, caplog, capsys):
    train_dir = str(tmp_path / "train")
    (older, newest), snapshots = two_checkpoints(train_dir, str(tmp_path))
    DAMAGES[damage](newest)
    damaged_files = files_of(newest)
    status, err = faults.run_as_script(capsys, lambda: faults.start(train_dir, seed=1))
    assert status == 0 and err == []
    said = warnings(caplog)
    assert len(said) == 1 and "model.ckpt-2" in said[0] and "resuming from model.ckpt-1" in said[0], said
    faults.assert_next_start_resumes(train_dir, older, snapshots[older], str(tmp_path))
    if damage == "a flipped byte":  # the index and sizes are right: the restore found it, it stays listed
        assert "reading it failed" in said[0]
        return
    assert f"moved to {os.path.join(train_dir, 'damaged')}" in said[0] and "delete them" in said[0]
    aside = os.path.join(train_dir, "damaged")
    assert {n: open(os.path.join(aside, n), "rb").read() for n in os.listdir(aside)} == damaged_files
    assert not glob.glob(newest + ".*") and tf.train.latest_checkpoint(train_dir) == older
    # The next save at step 2 is a fresh, whole checkpoint (the damaged one was not in the way).
    trainer, manager, resumed = faults.start(train_dir, seed=2)
    more = {}
    faults.train_steps(trainer, manager, 1, more, str(tmp_path), seed=3)
    assert checkpoints.checkpoint_problem(newest) is None and list(more) == [newest]
    faults.assert_next_start_resumes(train_dir, newest, more[newest], str(tmp_path))


STATE_DAMAGES = {
    "empty": lambda path: cut(path, 0),  # TensorFlow raises ValueError on it
    "cut short": lambda path: cut(path, 30),  # TensorFlow ignores it: the run would start afresh over its checkpoints
    "missing": os.remove,
}


@pytest.mark.parametrize("damage", list(STATE_DAMAGES))
def test_a_damaged_state_file_is_rebuilt_from_the_checkpoints_there(damage, tmp_path, caplog, capsys):
    train_dir = str(tmp_path / "train")
    (older, newest), snapshots = two_checkpoints(train_dir, str(tmp_path))
    STATE_DAMAGES[damage](os.path.join(train_dir, "checkpoint"))
    assert checkpoints.newest_readable(train_dir) == newest  # a reader goes by the files there
    status, err = faults.run_as_script(capsys, lambda: faults.start(train_dir, seed=1))
    assert status == 0 and err == []
    said = warnings(caplog)
    assert len(said) == 1 and "rebuilt it from the 2 checkpoints" in said[0] and "model.ckpt-2" in said[0], said
    state = tf.train.get_checkpoint_state(train_dir)
    assert [os.path.basename(p) for p in state.all_model_checkpoint_paths] == ["model.ckpt-1", "model.ckpt-2"]
    faults.assert_next_start_resumes(train_dir, newest, snapshots[newest], str(tmp_path))


def test_when_no_checkpoint_can_be_read_the_run_refuses_and_changes_nothing(tmp_path, capsys):
    train_dir = str(tmp_path / "train")
    (older, newest), snapshots = two_checkpoints(train_dir, str(tmp_path))
    kept = files_of(older)  # as backup.py would have kept it
    DAMAGES["data cut in half"](older)
    DAMAGES["empty index"](newest)
    before = {name: open(os.path.join(train_dir, name), "rb").read() for name in os.listdir(train_dir)}
    status, err = faults.run_as_script(capsys, lambda: faults.start(train_dir, seed=1))
    assert status == 2
    faults.assert_one_sentence(err, f"None of the 2 checkpoints in {train_dir} can be read", "model.ckpt-2: its index",
                               "model.ckpt-1: its data holds", "nothing was changed", "backup.py")
    assert {name: open(os.path.join(train_dir, name), "rb").read() for name in os.listdir(train_dir)} == before
    for name, content in kept.items():  # the user puts the copy back: the next start resumes from it
        with open(os.path.join(train_dir, name), "wb") as f:
            f.write(content)
    faults.assert_next_start_resumes(train_dir, older, snapshots[older], str(tmp_path))


def test_a_worker_that_does_not_write_falls_back_without_moving_anything(tmp_path, caplog):
    """A multi-worker run's other workers restore with the chief's manager logic but never move files."""
    train_dir = str(tmp_path / "train")
    (older, newest), snapshots = two_checkpoints(train_dir, str(tmp_path))
    DAMAGES["data one byte short"](newest)
    trainer = faults.tiny_trainer(seed=1)
    manager = checkpoints.adversarial_manager(trainer, train_dir)
    assert checkpoints.restore_latest(manager) == older
    faults.assert_same(faults.state_of(manager, str(tmp_path)), snapshots[older])
    assert glob.glob(newest + ".*") and not os.path.exists(os.path.join(train_dir, "damaged"))
    assert "resuming from model.ckpt-1" in warnings(caplog)[0]


def write_run_config(train_dir):
    from wavegan import config

    config.save_run_config(train_dir, faults.tiny_run())


def test_the_reading_modes_fall_back_or_refuse_in_one_sentence(tmp_path, caplog, capsys):
    train_dir = str(tmp_path / "train")
    (older, newest), snapshots = two_checkpoints(train_dir, str(tmp_path))
    write_run_config(train_dir)
    DAMAGES["empty data"](newest)
    build = wavegan_gan().build_generator

    generator, run, step = checkpoints.load_generator(train_dir, build)  # generate, infer, web, eval.score
    assert step == 1 and "using model.ckpt-1" in warnings(caplog)[0]
    restored = faults.tensors(checkpoints.model_checkpoint(generator=generator).write(str(tmp_path / "g")))
    faults.assert_same(restored, {k: v for k, v in snapshots[older].items() if k.startswith("generator/")})
    seen = []
    checkpoints.watch(train_dir, seen.append, once=True)  # preview, incept
    assert seen == [older]
    status, err = faults.run_as_script(capsys, lambda: checkpoints.load_generator(train_dir, build, newest))
    assert status == 2
    faults.assert_one_sentence(err, f"The checkpoint {newest} cannot be read: its data holds 0 of the",
                               "leave the flag out")
    assert glob.glob(newest + ".*"), "a reader never moves or deletes anything"


def test_a_reader_whose_checkpoint_is_rotated_away_takes_the_newer_one(tmp_path, caplog):
    train_dir = str(tmp_path / "train")
    (older, newest), snapshots = two_checkpoints(train_dir, str(tmp_path))
    write_run_config(train_dir)
    build = wavegan_gan().build_generator
    real_restore = checkpoints.restore_generator
    calls = []

    def rotated_while_reading(generator, prefix):
        calls.append(prefix)
        if len(calls) == 1:  # training saves ckpt-3 and rotates ckpt-2 away as we read it
            trainer, manager, _ = faults.start(train_dir, seed=5)
            faults.train_steps(trainer, manager, 1, snapshots, str(tmp_path))
            for path in glob.glob(prefix + ".*"):
                os.remove(path)
        return real_restore(generator, prefix)

    checkpoints.restore_generator = rotated_while_reading
    try:
        _, _, step = checkpoints.load_generator(train_dir, build)
    finally:
        checkpoints.restore_generator = real_restore
    assert calls == [newest, os.path.join(train_dir, "model.ckpt-3")] and step == 3


def test_backup_never_copies_a_damaged_checkpoint(tmp_path):
    train_dir = str(tmp_path / "train")
    (older, newest), snapshots = two_checkpoints(train_dir, str(tmp_path))
    DAMAGES["data cut in half"](newest)
    out, said = os.path.join(train_dir, "backup"), []
    assert backup.backup_once(train_dir, out, print_fn=lambda s: None, warned=set()) == os.path.join(out, "model.ckpt-1")
    assert backup.backed_up_steps(out) == [1]
    faults.assert_same(faults.tensors(os.path.join(out, "model.ckpt-1")), snapshots[older])
    assert backup.latest_complete_checkpoint(train_dir, print_fn=said.append) == older
    assert len(said) == 1 and "model.ckpt-2 cannot be read" in said[0] and "not backing it up" in said[0]


@pytest.mark.slow
def test_train_script_resumes_from_the_older_checkpoint_with_one_warning(tmp_path):
    train_dir = str(tmp_path / "train")
    helpers.run_script("train_wavegan.py", "train", train_dir, *helpers.TINY, "--train_max_steps", "2")
    older, newest = (os.path.join(train_dir, f"model.ckpt-{s}") for s in (1, 2))
    saved = faults.tensors(older)
    DAMAGES["data cut in half"](newest)
    proc = helpers.run_script("train_wavegan.py", "train", train_dir, *helpers.TINY, "--train_max_steps", "1")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    said = [line for line in proc.stderr.splitlines() if line.startswith("WARNING: ")]
    assert len(said) == 1 and "model.ckpt-2" in said[0] and "resuming from model.ckpt-1" in said[0], proc.stderr
    assert f"Resumed from {older} at step 1" in proc.stdout
    faults.assert_same_weights_on_resume(train_dir, older, saved, str(tmp_path))
    proc = helpers.run_script("train_wavegan.py", "generate", train_dir, "--generate_n", "1",
                              "--generate_dir", str(tmp_path / "gen"))
    assert "step 1" in proc.stdout and "Traceback" not in proc.stderr
