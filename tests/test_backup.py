"""backup.py: complete checkpoints only, a checkpoint rotated away during the copy, how many are kept."""

import glob
import os

import numpy as np
import tensorflow as tf

import backup


def fake_checkpoint(folder, step, missing_shard=False):
    """A small real checkpoint (backup.py copies only readable ones), or its index alone (`missing_shard`)."""
    os.makedirs(folder, exist_ok=True)
    prefix = os.path.join(folder, f"model.ckpt-{step}")
    tf.train.Checkpoint(v=tf.Variable(np.random.default_rng(step).normal(size=250 + step))).write(prefix)
    if missing_shard:
        for shard in glob.glob(prefix + ".data-*"):
            os.remove(shard)
    with open(os.path.join(folder, "checkpoint"), "w") as f:
        f.write(f'model_checkpoint_path: "model.ckpt-{step}"\nall_model_checkpoint_paths: "model.ckpt-{step}"\n')
    return prefix


def test_backup_copies_complete_checkpoints_only(tmp_path):
    train, out = str(tmp_path / "train"), str(tmp_path / "train" / "backup")
    fake_checkpoint(train, 5, missing_shard=True)
    assert backup.backup_once(train, out, print_fn=lambda s: None) is None
    prefix = fake_checkpoint(train, 6)
    target = backup.backup_once(train, out, print_fn=lambda s: None)
    assert target == os.path.join(out, "model.ckpt-6")
    for src in glob.glob(prefix + "*"):
        assert open(src, "rb").read() == open(os.path.join(out, os.path.basename(src)), "rb").read()
    assert not glob.glob(os.path.join(out, "*.partial"))
    assert tf.train.latest_checkpoint(out) == target


def test_backup_survives_rotation_during_the_copy(tmp_path, monkeypatch):
    train, out = str(tmp_path / "train"), str(tmp_path / "backup")
    old = fake_checkpoint(train, 10)
    real_copy = backup.shutil.copyfile

    def rotate_then_copy(src, dst):
        if src.startswith(old) and os.path.exists(old + ".index"):
            fake_checkpoint(train, 11)  # training saves a newer one and deletes the old
            for path in glob.glob(old + ".*"):
                os.remove(path)
        return real_copy(src, dst)

    monkeypatch.setattr(backup.shutil, "copyfile", rotate_then_copy)
    lines = []
    assert backup.backup_once(train, out, print_fn=lines.append) == os.path.join(out, "model.ckpt-11")
    assert any("rotated away" in line for line in lines)
    assert backup.backed_up_steps(out) == [11]
    assert sorted(os.listdir(out)) == ["checkpoint", "model.ckpt-11.data-00000-of-00001", "model.ckpt-11.index"]


def test_backup_keeps_all_by_default_or_the_newest_n(tmp_path):
    train, out = str(tmp_path / "train"), str(tmp_path / "backup")
    for step in range(1, 5):
        fake_checkpoint(train, step)
        backup.backup_once(train, out, print_fn=lambda s: None)
    assert backup.backed_up_steps(out) == [1, 2, 3, 4]
    fake_checkpoint(train, 5)
    backup.backup_once(train, out, keep=2, print_fn=lambda s: None)
    assert backup.backed_up_steps(out) == [4, 5]
    assert not glob.glob(os.path.join(out, "model.ckpt-3*"))
