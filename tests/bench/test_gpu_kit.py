"""The GPU run kit (bench/gpu_kit*.py): its file formats, its data against the tf.data pipeline, and a dry run
on this CPU at tiny size that runs the kit in subprocesses as the GPU machine would (without the wheels)."""

import importlib.util
import json
import os
import re
import subprocess
import time
import sys
import wave

import numpy as np
import pytest

from tests.helpers import REPO, script_env

BENCH = os.path.join(REPO, "bench")


def _load(name: str):
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


gpu_kit = _load("gpu_kit")


def test_corpus_round_trip_is_lossless():
    rng = np.random.default_rng(0)
    clips = [rng.integers(-32768, 32768, n).astype(np.int16) for n in (5, 16000, 1, 20000)]
    clips.append(np.array([32767, -32768, 32767, -32768, 0], np.int16))  # differences that wrap around
    arrays = gpu_kit.pack_corpus(clips, [f"c{i}.wav" for i in range(len(clips))])
    back, names, rate = gpu_kit.unpack_corpus(arrays)
    assert rate == 16000 and names == [f"c{i}.wav" for i in range(len(clips))]
    assert [len(c) for c in back] == [len(c) for c in clips]
    for a, b in zip(back, clips):
        np.testing.assert_array_equal(a, b)


def test_training_examples_match_the_tf_data_pipeline(tmp_path):
    """The kit's numpy feed sees what `--data_first_slice --data_pad_end` (peak-normalised) gives the trainer."""
    from wavegan.audio import pipeline as data
    from wavegan.config import DataConfig

    rng = np.random.default_rng(1)
    clips = [(rng.standard_normal(9000) * 3000).astype(np.int16),
             np.zeros(4000, np.int16),  # silence stays silence
             (rng.standard_normal(20000) * 1000).astype(np.int16)]
    clips[2][18000] = 30000  # the peak lies after the first slice: normalising uses the whole file
    folder = tmp_path / "train"
    folder.mkdir()
    unpack = _load("gpu_kit_unpack")
    for i, clip in enumerate(clips):
        unpack.write_wav(str(folder / f"Zero_{i}.wav"), clip)
    cfg = DataConfig(data_dir=str(folder), first_slice=True, pad_end=True).resolved()
    files = data.prepare_files(cfg, batch_size=1)
    expected = np.stack([x[:, 0] for x in data.example_dataset(files, cfg, shuffle=False, repeat=False)
                         .as_numpy_iterator()])
    np.testing.assert_allclose(gpu_kit.training_examples(clips), expected, rtol=1e-6, atol=1e-7)


def test_clip_packs_stay_within_limits_and_read_back(tmp_path):
    clips = np.arange(30 * 64, dtype=np.int16).reshape(30, 64)
    row = 64 * 2 + 12
    # Room for 9 rows a file and 20 rows in all: the newest step's 12 first, then 8 of the older step's 18.
    info = gpu_kit.pack_clips([(7, clips[:12]), (3, clips[12:])], str(tmp_path), z_seed=5, max_files=3,
                              max_file_bytes=4096 + 9 * row, max_total_bytes=20 * row)
    assert info["files"] == ["clips_00.npz", "clips_01.npz", "clips_02.npz"]
    assert info["clips_per_step"] == {"7": 12, "3": 8} and info["left_out_per_step"] == {"3": 10}
    back = gpu_kit.read_clip_packs(str(tmp_path / f) for f in info["files"])
    assert sorted(back) == [3, 7] and sorted(back[7]) == list(range(12)) and sorted(back[3]) == list(range(8))
    np.testing.assert_array_equal(back[3][5], clips[12 + 5])
    assert gpu_kit.check_out_limits(str(tmp_path)) == []


def test_out_limits_name_what_would_not_come_back(tmp_path):
    for i in range(9):
        (tmp_path / f"f{i}").write_bytes(b"x")
    (tmp_path / "bad name").write_bytes(b"x")
    (tmp_path / "a" / "b" / "c").mkdir(parents=True)
    (tmp_path / "a" / "b" / "c" / "deep").write_bytes(b"x")
    (tmp_path / "big").write_bytes(b"\0" * (16 * 2**20 + 1))
    problems = " | ".join(gpu_kit.check_out_limits(str(tmp_path)))
    for expected in ("bad name", "deep: more than 2 folders down", "12 files, over 8", "big: 16777217 bytes"):
        assert expected in problems


def test_feed_resumes_the_same_stream_and_covers_each_epoch():
    feed = gpu_kit.EpochFeed(10, seed=3)
    first = feed.next((3, 2))
    saved = feed.state()
    rest = [feed.next((3, 2)) for _ in range(4)]
    resumed = gpu_kit.EpochFeed(saved["n_clips"], saved["seed"], saved["epoch"], saved["position"])
    for a in rest:
        np.testing.assert_array_equal(resumed.next((3, 2)), a)
    stream = np.concatenate([first.ravel()] + [a.ravel() for a in rest])  # 30 indices: three epochs of 10
    for epoch in range(3):
        assert sorted(stream[epoch * 10:(epoch + 1) * 10]) == list(range(10))
    assert not np.array_equal(stream[:10], stream[10:20])


def test_kit_wheels_pin_the_keras_of_requirements():
    prepare = _load("gpu_kit_prepare")
    with open(os.path.join(REPO, "requirements.txt")) as f:
        pinned = re.search(r"^keras==(\S+)", f.read(), re.M).group(1)
    assert f"keras=={pinned}" in prepare.KIT_WHEELS


def _write_tiny_corpus(folder: str, n: int = 12) -> None:
    unpack = _load("gpu_kit_unpack")
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


def test_class_ids_follow_the_data_labels_prefix_rule():
    classes, ids = gpu_kit.class_ids(["Seven_a1.wav", "Zero_b2.wav", "Seven_c3.wav", "Five_d.wav"], "prefix")
    assert classes == ["Five", "Seven", "Zero"] and ids.tolist() == [1, 2, 1, 0]
    assert gpu_kit.class_ids(["anything.wav"], "none") == ([], None)
    with pytest.raises(gpu_kit.UserError, match="carry no class"):
        gpu_kit.class_ids(["Seven_a.wav", "noprefix.wav"], "prefix")


def test_conditional_clip_packs_name_the_class_each_latent_asked_for(tmp_path):
    classes = ["Five", "Seven", "Zero"]
    clips = np.arange(7 * 8, dtype=np.int16).reshape(7, 8)
    info = gpu_kit.pack_clips([(4, clips)], str(tmp_path), z_seed=1, classes=classes)
    asked = gpu_kit.read_clip_classes(str(tmp_path / f) for f in info["files"])
    assert asked == {i: classes[i % 3] for i in range(7)}  # latent i asks for class i mod 3
    unconditional = tmp_path / "u"
    unconditional.mkdir()
    info = gpu_kit.pack_clips([(4, clips)], str(unconditional), z_seed=1)
    assert gpu_kit.read_clip_classes(str(unconditional / f) for f in info["files"]) == {}


def test_lockstep_waits_for_the_slowest_and_stops_everyone_at_the_furthest_step(tmp_path):
    import threading

    fast, slow = (gpu_kit.Lockstep(str(tmp_path), name, 2) for name in ("a_fast", "b_slow"))
    slow._write(0)
    fast.register(0)
    assert fast.leader and not slow.leader
    assert fast.wait_for_others(0, time.monotonic() + 5) < 0.5  # nobody is behind step 0

    catch_up = threading.Timer(0.3, lambda: slow._write(10))
    catch_up.start()
    waited = fast.wait_for_others(10, time.monotonic() + 5)  # b is at 0: a may not start the block after 10
    catch_up.join()
    assert 0.25 < waited < 3

    assert fast.stop_step() is None
    slow._write(7)
    assert fast.call_stop(12) == 12 and slow.stop_step() == 12  # the furthest step any run reached
    slow.finish(7)  # a finished run is not waited for
    assert fast.wait_for_others(20, time.monotonic() + 5) < 0.5


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
