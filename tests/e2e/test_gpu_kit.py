"""The GPU run kit (bench/gpu_kit*.py) dry-run on this CPU at tiny size: prepare, train, resume and unpack in
subprocesses as the GPU machine would (without the wheels), one run and a lockstep group."""

import json
import os
import subprocess
import sys
import wave

import numpy as np
import pytest

from tests.helpers import BENCH, REPO, load_bench_module, script_env

pytestmark = pytest.mark.slow

gpu_kit = load_bench_module("gpu_kit")


def _write_tiny_corpus(folder: str, n: int = 12) -> None:
    unpack = load_bench_module("gpu_kit_unpack")
    os.makedirs(folder)
    t = np.arange(16000) / 16000
    for i in range(n):
        length = 6000 + 800 * i
        clip = (np.sin(2 * np.pi * (200 + 50 * i) * t[:length]) * 20000).astype(np.int16)
        unpack.write_wav(os.path.join(folder, f"{_digit(i)}_tone{i}.wav"), clip)


def _digit(i: int) -> str:
    return ["Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine"][i % 10]


def _run(script: str, *args) -> subprocess.CompletedProcess:
    # What the GPU command sets; TensorFlow is installed here, so its absence from the kit's modules means something.
    env = dict(script_env(), KERAS_BACKEND="jax")
    return subprocess.run([sys.executable, os.path.join(BENCH, script), *args], capture_output=True, text=True,
                          env=env, timeout=900, cwd=REPO)


def _ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc


def _figures(out: str) -> dict:
    with open(os.path.join(out, "figures.json")) as f:
        return json.load(f)


@pytest.mark.slow
def test_dry_run_trains_resumes_exactly_and_returns_files_within_limits(tmp_path):
    """prepare → kit (2 iterations, benchmarks) → kit again on the same checkpoints (1 more) → unpack; and a
    fresh run of 3 iterations in one go, whose step-3 clips the resumed run must reproduce bit for bit."""
    _write_tiny_corpus(str(tmp_path / "digits" / "train"))
    kit = str(tmp_path / "kit")
    _ok(_run("gpu_kit_prepare.py", "--kit", kit, "--digits_dir", str(tmp_path / "digits"), "--no_wheels"))
    with open(os.path.join(kit, "MANIFEST.json")) as f:
        assert json.load(f)["corpus"]["clips"] == 12
    tiny = ["--kit", kit, "--wheels", "none", "--jax_cache", str(tmp_path / "jax_cache"), "--dim", "8", "--batch", "8",
            "--disc_nupdates", "2", "--final_n", "20", "--curve_n", "4", "--save_secs", "0", "--budget_s", "800",
            "--reserve_s", "0", "--bench_reserve_s", "1"]
    outs = [str(tmp_path / f"out{i}") for i in range(3)]
    first = _ok(_run("gpu_kit.py", *tiny, "--out", outs[0], "--ckpt_dir", str(tmp_path / "ckpt"), "--max_iters", "2",
                     "--gen_batches", "1", "8", "--bench", "float32", "--bench_iters", "1"))
    second = _ok(_run("gpu_kit.py", *tiny, "--out", outs[1], "--ckpt_dir", str(tmp_path / "ckpt"), "--max_iters", "1",
                      "--gen_batches"))
    straight = _ok(_run("gpu_kit.py", *tiny, "--out", outs[2], "--ckpt_dir", str(tmp_path / "ckpt_straight"),
                        "--max_iters", "3", "--gen_batches"))
    a, b, c = (_figures(o) for o in outs)
    assert "new run" in first.stdout and "resuming at step 2" in second.stdout
    for figures in (a, b, c):
        assert figures["tensorflow_in_sys_modules"] is False
        assert figures["versions"]["keras"] and figures["device"]["platform"] == "cpu"
    assert (a["train"]["step_start"], a["train"]["step_end"]) == (0, 2)
    assert (b["train"]["step_start"], b["train"]["step_end"]) == (2, 3)
    assert [(cmd["step_start"], cmd["step_end"]) for cmd in b["commands"]] == [(0, 2), (2, 3)]
    assert a["clips"]["clips_per_step"] == {"2": 20, "1": 4}
    assert a["train"]["s_per_iter"] > 0 and a["train"]["examples_per_s"] > 0
    assert set(a["generation"]["float32"]) == {"1", "8"}
    assert a["bench"]["float32"]["s_per_iter"] > 0 and a["bench"]["float32"]["d_loss_finite"]
    for out in outs:
        assert gpu_kit.check_out_limits(out) == []
        files = os.listdir(out)
        assert len(files) <= 8 and all(os.path.getsize(os.path.join(out, f)) <= 16 * 2**20 for f in files)
    resumed = gpu_kit.read_clip_packs([os.path.join(outs[1], f) for f in b["clips"]["files"]])
    uninterrupted = gpu_kit.read_clip_packs([os.path.join(outs[2], f) for f in c["clips"]["files"]])
    assert len(resumed[3]) == 20
    for index in range(20):
        np.testing.assert_array_equal(resumed[3][index], uninterrupted[3][index])
    assert not np.array_equal(resumed[3][0], gpu_kit.read_clip_packs([os.path.join(outs[0], "clips_00.npz")])[2][0])

    unpacked = str(tmp_path / "wavs")
    _ok(_run("gpu_kit_unpack.py", outs[0], outs[1], "--out", unpacked))
    assert {d: len(os.listdir(os.path.join(unpacked, d))) for d in os.listdir(unpacked) if d.startswith("step_")} == \
        {"step_00000001": 4, "step_00000002": 20, "step_00000003": 20}
    with wave.open(os.path.join(unpacked, "step_00000003", "00007.wav")) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()) == (16000, 1, 2, 16384)
    assert os.path.exists(os.path.join(unpacked, "figures_00000003.json"))

    # A command given no time to train says so and fails instead of reporting success.
    starved = _run("gpu_kit.py", *tiny[:-6], "--budget_s", "30", "--out", str(tmp_path / "out_starved"),
                   "--ckpt_dir", str(tmp_path / "ckpt"))
    assert starved.returncode == 2 and "leaves no time to train" in starved.stderr


@pytest.mark.slow
def test_multi_runs_a_group_in_lockstep_and_returns_within_limits(tmp_path):
    """Two runs side by side, one label-conditional, in one lockstep group: both stop at the same step,
    sample the same steps, and what comes back is within the device tool's limits."""
    _write_tiny_corpus(str(tmp_path / "digits" / "train"), n=10)
    kit = str(tmp_path / "kit")
    _ok(_run("gpu_kit_prepare.py", "--kit", kit, "--digits_dir", str(tmp_path / "digits"), "--no_wheels"))
    tiny = ["--dim", "8", "--batch", "4", "--disc_nupdates", "2", "--sync_every", "2", "--save_steps", "2",
            "--curve_n", "3", "--gen_batches", "--reserve_s", "5", "--stop_step", "4",
            "--jax_cache", str(tmp_path / "jax_cache")]
    plan = {"runs": {"plain": {"group": "g", "args": tiny}, "cond": {"group": "g", "args": tiny + ["--labels", "prefix"]}},
            "commands": [{"runs": {"plain": {"args": ["--final_n", "5"]},
                                   "cond": {"args": ["--final_n", "10", "--clip_files", "1"]}}}]}
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(json.dumps(plan))
    out = str(tmp_path / "out")
    proc = _ok(_run("gpu_kit_multi.py", "--plan", str(plan_path), "--out", out, "--budget_s", "600", "--kit", kit,
                    "--wheels", "none", "--work", str(tmp_path / "work")))
    assert "command 0 of the plan" in proc.stdout
    assert gpu_kit.check_out_limits(out) == []
    import tarfile

    with tarfile.open(os.path.join(out, "logs.tar.gz")) as tar:
        figures = {name: json.load(tar.extractfile(f"{name}/figures.json")) for name in ("plain", "cond")}
    for name, f in figures.items():
        assert f["train"]["step_end"] == 4 and f["tensorflow_in_sys_modules"] is False, name
        assert sorted(int(s) for s in f["clips"]["clips_per_step"]) == [2, 4], name
    assert figures["cond"]["classes"] == ["Eight", "Five", "Four", "Nine", "One", "Seven", "Six", "Three", "Two", "Zero"]
    cond_packs = [os.path.join(out, "cond", p) for p in os.listdir(os.path.join(out, "cond"))]
    assert len(gpu_kit.read_clip_packs(cond_packs)[4]) == 10
    assert gpu_kit.read_clip_classes(cond_packs)[3] == "Nine"

    wavs = str(tmp_path / "wavs")
    _ok(_run("gpu_kit_unpack.py", os.path.join(out, "cond"), "--out", wavs))
    assert "Nine_00003.wav" in os.listdir(os.path.join(wavs, "step_00000004"))
