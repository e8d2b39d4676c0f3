"""A NaN loss: the run stops before that state is saved (exit status 3, one sentence), and the next start
resumes to the weights of the last good checkpoint."""

from __future__ import annotations

import os

import numpy as np
import tensorflow as tf

from tests.faults import faults
from wavegan.train import callbacks as cbs
from wavegan.train import checkpoints


def test_a_nan_loss_stops_the_run_in_one_sentence_and_the_next_start_resumes_the_last_good_weights(tmp_path, capsys):
    train_dir, snapshots = str(tmp_path / "train"), {}
    trainer, manager, _ = faults.start(train_dir)
    batches = faults.real_batches(4)
    batches[2] = np.nan  # the third step's real clips
    data = tf.data.Dataset.from_tensor_slices(batches)

    def record(path, step):
        snapshots[path] = faults.tensors(path)
        faults.assert_same(snapshots[path], faults.state_of(manager, str(tmp_path)))

    def run():  # the train loop's callbacks in its order: the NaN guard first
        with checkpoints.storage_faults_stop_training(train_dir):
            trainer.fit(data, epochs=1, steps_per_epoch=4, verbose=0, callbacks=[
                cbs.NanGuard(trainer.step), cbs.TimedCheckpoint(manager, trainer.step, 0, on_saved=record)])

    status, err = faults.run_as_script(capsys, run)
    assert status == 3
    faults.assert_one_sentence(err, "training diverged", "became non-finite at step 3", "last good checkpoint is kept")
    good = os.path.join(train_dir, "model.ckpt-2")
    assert list(snapshots) == [os.path.join(train_dir, "model.ckpt-1"), good]
    assert tf.train.latest_checkpoint(train_dir) == good
    assert all(np.isfinite(v).all() for v in snapshots[good].values() if v.dtype.kind == "f")
    faults.assert_next_start_resumes(train_dir, good, snapshots[good], str(tmp_path))
