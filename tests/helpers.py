"""Running the project's scripts as a user would, in a subprocess."""

import glob
import importlib.util
import os
import subprocess
import sys

import pytest
import tensorflow as tf

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(REPO, "bench")
# Splits the CPU into logical devices before TensorFlow starts (the tf.distribute tests).
WITH_CPUS = os.path.join(REPO, "tests", "with_cpus.py")
TINY = ["--wavegan_dim", "8", "--train_batch_size", "8", "--wavegan_disc_nupdates", "2",
        "--train_save_secs", "0", "--train_summary_secs", "0"]


def script_env() -> dict:
    return dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1")


def run_script(script: str, *args, check: bool = True, cwd: str | None = None) -> subprocess.CompletedProcess:
    """`python SCRIPT args`; a SCRIPT like `-m eval.score` runs a module from the repo root."""
    target = script.split() if script.startswith("-m ") else [os.path.join(REPO, script)]
    proc = subprocess.run([sys.executable, *target, *args], capture_output=True, text=True,
                          env=script_env(), timeout=600, cwd=cwd or (REPO if script.startswith("-m ") else None))
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def run_command(cmd: list, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """`cmd` (a helper process, or a script under a launcher) from the repo root; a failure shows its output."""
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env or script_env(), cwd=REPO)
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr[-4000:]}")
    return proc


def jax_env(cache_dir: str | None = None) -> dict:
    env = dict(script_env(), KERAS_BACKEND="jax")
    if cache_dir:  # later runs of one test reuse the compiled step
        env.update(JAX_COMPILATION_CACHE_DIR=cache_dir, JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0")
    return env


requires_jax = pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")


def newest_step(train_dir: str) -> int:
    """The step of the newest checkpoint the train dir's `checkpoint` file names (0 without one)."""
    latest = tf.train.latest_checkpoint(train_dir)
    return int(latest.rsplit("-", 1)[1]) if latest else 0


def _summary_values(log_dir: str):
    for path in glob.glob(os.path.join(log_dir, "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                yield event.step, value


def event_tags(log_dir: str) -> dict[str, set[str]]:
    """tag → the TensorBoard plugins (scalars, audio, histograms, images) it was written for."""
    tags: dict[str, set[str]] = {}
    for _, value in _summary_values(log_dir):
        tags.setdefault(value.tag, set()).add(value.metadata.plugin_data.plugin_name)
    return tags


def audio_summary(log_dir: str, tag: str):
    """The first tensor written under `tag` (audio: [clips, 2] of encoded WAV and label)."""
    for _, value in _summary_values(log_dir):
        if value.tag == tag:
            return tf.make_ndarray(value.tensor)
    return None


def load_bench_module(name: str):
    """A bench/ module, without leaving bench/ (which has its own train.py) on sys.path."""
    saved = list(sys.path)
    try:
        spec = importlib.util.spec_from_file_location(name, os.path.join(BENCH, f"{name}.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path[:] = saved
