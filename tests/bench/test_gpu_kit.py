"""bench/gpu_kit.py, the GPU run kit: its file formats, its data against the tf.data pipeline, its feed and its
lockstep (the dry runs of the whole kit: tests/e2e/test_gpu_kit.py)."""

import os
import re
import time

import numpy as np
import pytest

from tests.helpers import REPO, load_bench_module


gpu_kit = load_bench_module("gpu_kit")


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
    unpack = load_bench_module("gpu_kit_unpack")
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
    prepare = load_bench_module("gpu_kit_prepare")
    with open(os.path.join(REPO, "requirements.txt")) as f:
        pinned = re.search(r"^keras==(\S+)", f.read(), re.M).group(1)
    assert f"keras=={pinned}" in prepare.KIT_WHEELS


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
