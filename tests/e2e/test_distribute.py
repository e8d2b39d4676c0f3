"""train_wavegan.py under tf.distribute: mirrored on 2 logical CPUs and back to one device, 2 workers on
localhost, a multi-worker run without TF_CONFIG."""

import glob
import json
import os
import socket
import subprocess
import sys

import pytest

from tests import helpers

pytestmark = pytest.mark.slow


SMALL = ["--wavegan_dim", "4", "--train_batch_size", "4", "--wavegan_disc_nupdates", "2",
         "--train_summary_secs", "0"]


def test_mirrored_training_on_two_cpus_resumes_on_one_device_and_back(tmp_path):
    train_dir = str(tmp_path)
    mirrored = [sys.executable, helpers.WITH_CPUS, "2", "train_wavegan.py", "train", train_dir, *SMALL,
                "--train_strategy", "mirrored", "--train_save_secs", "0"]
    first = helpers.run_command(mirrored + ["--train_max_steps", "2"])
    assert "Training on MirroredStrategy with 2 replicas: 2 examples per replica, 4 per step." in first.stdout
    single = helpers.run_command([sys.executable, "train_wavegan.py", "train", train_dir, *SMALL,
                                  "--train_max_steps", "3"])
    assert f"Resumed from {train_dir}/model.ckpt-2 at step 2" in single.stdout
    back = helpers.run_command(mirrored + ["--train_max_steps", "4"])
    assert f"Resumed from {train_dir}/model.ckpt-3 at step 3" in back.stdout
    assert os.path.exists(os.path.join(train_dir, "model.ckpt-4.index"))
    assert json.load(open(os.path.join(train_dir, "infer", "saved_model", "wavegan.json")))["step"] == 4


def free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_two_workers_on_localhost_train_in_step_and_only_the_chief_writes(tmp_path):
    train_dir = str(tmp_path / "run")
    workers = [f"127.0.0.1:{port}" for port in free_ports(2)]
    procs = []
    for index in range(2):
        env = dict(helpers.script_env(), TF_CONFIG=json.dumps(
            {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}))
        procs.append(subprocess.Popen(
            [sys.executable, "train_wavegan.py", "train", train_dir, *SMALL, "--train_strategy", "multiworker",
             "--train_max_steps", "3", "--train_save_secs", "3600"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=helpers.REPO))
    outputs = [proc.communicate(timeout=600) for proc in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, out + err[-4000:]
    for out, _ in outputs:
        assert "MultiWorkerMirroredStrategy with 2 replicas: 2 examples per replica, 4 per step." in out
    # Both workers log the same global losses: they trained one model together.
    losses = [[line.split("steps/s")[1] for line in out.splitlines() if line.startswith("step ")] for out, _ in outputs]
    assert losses[0] == losses[1] and len(losses[0]) >= 1
    assert sorted(os.path.basename(p) for p in glob.glob(os.path.join(train_dir, "model.ckpt-*.index"))) == \
        ["model.ckpt-3.index"]
    assert len(glob.glob(os.path.join(train_dir, "events.out.tfevents.*"))) == 1
    assert json.load(open(os.path.join(train_dir, "infer", "saved_model", "wavegan.json")))["step"] == 3


def test_multiworker_without_tf_config_says_what_to_set(tmp_path):
    env = {k: v for k, v in helpers.script_env().items() if k != "TF_CONFIG"}
    proc = helpers.run_command([sys.executable, "train_wavegan.py", "train", str(tmp_path), *SMALL, "--train_strategy",
                "multiworker"], env=env, check=False)
    assert proc.returncode == 2
    assert "TF_CONFIG" in proc.stderr and "Traceback" not in proc.stderr
