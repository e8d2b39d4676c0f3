"""wavegan.audio.pipeline: slicing and framing, batches for the critic steps, bad and short files, the cache,
labelled examples."""

import glob
import logging
import os

import numpy as np
import pytest
import tensorflow as tf

from tests import audio_fixtures as fx
from tests.audio_fixtures import info, write
from wavegan.audio import pipeline as data
from wavegan.audio.slicing import count_slices
from wavegan.config import DataConfig
from wavegan.errors import UserError

RATE = 16000
S = 16384


def cfg(data_dir=None, **kwargs) -> DataConfig:
    return DataConfig(data_dir=str(data_dir) if data_dir else None, normalize=False, **kwargs).resolved()


def slices_of(samples: np.ndarray, config: DataConfig, seed=None) -> np.ndarray:
    return data.slice_audio(tf.constant(samples), config, seed=seed).numpy()


def test_first_slice_pads_one_short_clip_and_ignores_the_rest():
    config = cfg(first_slice=True)
    assert (config.pad_end, config.overlap_ratio, config.random_offset) == (True, 0.0, False)
    short = fx.ramp(10000)
    (only,) = slices_of(short, config)
    np.testing.assert_array_equal(only[:10000], short)
    assert np.all(only[10000:] == 0)
    long = fx.ramp(3 * S + 5)
    out = slices_of(long, cfg(first_slice=True, overlap_ratio=0.5))
    assert out.shape == (1, S, 1)
    np.testing.assert_array_equal(out[0], long[:S])


@pytest.mark.parametrize("length", [0, 1, 100, S - 1, S, S + 1, 3 * S + 5])
def test_first_slice_equals_the_first_frame_of_the_padded_framing(length):
    samples = fx.ramp(length, channels=2) if length else np.zeros((0, 2), np.float32)
    config = cfg(first_slice=True, num_channels=2)
    framed = tf.signal.frame(tf.constant(samples), S, config.hop, pad_end=True, axis=0)[:1].numpy()
    np.testing.assert_array_equal(slices_of(samples, config), framed)


@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("overlap", [0.0, 0.5, 0.3])
@pytest.mark.parametrize("pad_end", [False, True])
def test_framing_equals_tf_signal_frame_after_dropping_the_offset(channels, overlap, pad_end):
    """frame_audio frames the flat samples (and reshapes when hop = slice_len): the same slices as
    reference §6.2's offset then tf.signal.frame along time, at the edges too."""
    config = cfg(overlap_ratio=overlap, pad_end=pad_end, num_channels=channels)
    rng = np.random.default_rng(0)
    for length in [0, 1, S - 1, S, S + 1, 2 * S, 3 * S + 77]:
        samples = rng.standard_normal((length, channels)).astype(np.float32)
        for start in (0, 1, 5000, S - 1):  # the random offset's range; past the end of short files
            expected = tf.signal.frame(samples[start:], S, config.hop, pad_end=pad_end, axis=0).numpy()
            got = data.frame_audio(tf.constant(samples), tf.constant(start), config).numpy()
            assert got.shape == expected.reshape(-1, S, channels).shape, (length, start)
            np.testing.assert_array_equal(got, expected.reshape(-1, S, channels))


def test_pad_end_keeps_the_zero_padded_partial_last_slice():
    length = 2 * S + 100
    signal = fx.ramp(length, wrap=False)
    for seed in range(5):
        padded = slices_of(signal, DataConfig(pad_end=True).resolved(), seed=seed)
        start = int(round(padded[0, 0, 0] * 32768))
        assert padded.shape[0] == count_slices(length - start, S, S, True, False)
        tail = length - start - (padded.shape[0] - 1) * S  # real samples in the last slice
        assert np.all(padded[-1, tail:] == 0) and np.all(padded[-1, 1:tail] > 0)
        dropped = slices_of(signal, DataConfig(pad_end=False).resolved(), seed=seed)
        assert dropped.shape[0] == count_slices(length - start, S, S, False, False)


def test_random_offset_starts_inside_the_first_slice_and_hops_evenly():
    config = DataConfig(overlap_ratio=0.75).resolved()
    assert config.hop == S // 4
    signal = fx.ramp(4 * S, wrap=False)
    starts = set()
    for seed in range(20):
        out = slices_of(signal, config, seed=seed)
        first_values = np.round(out[:, 0, 0] * 32768).astype(int)
        assert 0 <= first_values[0] <= S - 1
        np.testing.assert_array_equal(np.diff(first_values), config.hop)
        # Without pad_end only whole slices: the last one ends inside the signal.
        assert first_values[-1] + S <= 4 * S
        starts.add(first_values[0])
    assert len(starts) > 10


def write_corpus(folder, lengths, rate=RATE, subtype="PCM_16"):
    return [fx.write(os.path.join(folder, f"clip{i:03d}.wav"), fx.ramp(n), rate, "WAV", subtype)
            for i, n in enumerate(lengths)]


def test_one_epoch_of_short_clips_with_first_slice_yields_one_slice_per_file(tmp_path):
    write_corpus(tmp_path, [8000, 12000, 16000, 20000, 40000])
    config = cfg(tmp_path, first_slice=True)
    files = data.prepare_files(config, batch_size=2)
    examples = list(data.example_dataset(files, config, shuffle=False, repeat=False).as_numpy_iterator())
    assert len(examples) == 5 and all(e.shape == (S, 1) for e in examples)
    lengths = sorted(int(np.count_nonzero(e[1:, 0])) + 1 for e in examples)  # ramp is nonzero after index 0
    assert lengths == [8000, 12000, 16000, S, S]


def test_train_dataset_stacks_critic_batches_and_drops_the_remainder(tmp_path):
    write_corpus(tmp_path, [S] * 3)
    config = cfg(tmp_path, first_slice=True)
    files = data.prepare_files(config, batch_size=4)
    dataset = data.make_train_dataset(files, config, batch_size=4, batches_per_step=5)
    # The slice length is known when the step is traced (the critic's convolution forms need it).
    assert tuple(dataset.element_spec.shape) == (4, 5, S, 1)
    batch = next(iter(dataset))
    assert batch.shape == (4, 5, S, 1)  # batch first, as tf.distribute splits it
    finite = data.batch_dataset(data.example_dataset(files, config, shuffle=False, repeat=False), 2)
    assert [b.shape[0] for b in finite.as_numpy_iterator()] == [2]  # 3 examples: one full batch, rest dropped


def test_short_files_without_pad_end_stop_with_a_sentence_naming_the_flag(tmp_path):
    write_corpus(tmp_path, [16000] * 4)  # SC09-like: one second, shorter than 16384
    with pytest.raises(UserError, match="--data_pad_end"):
        data.prepare_files(cfg(tmp_path), batch_size=64)


@pytest.mark.parametrize("pad_end,overlap", [(False, 0.0), (True, 0.0), (False, 0.75), (True, 0.5)])
def test_expected_slices_per_epoch_is_the_mean_over_every_offset(pad_end, overlap):
    config = DataConfig(pad_end=pad_end, overlap_ratio=overlap).resolved()
    lengths = [1, 5000, S - 1, S, S + 1, S + 10, 2 * S - 3, 3 * S + 777, 7 * S]
    offsets = np.arange(S)
    for length in lengths:
        brute = np.mean([count_slices(length - s, S, config.hop, pad_end, False) for s in offsets])
        assert data.expected_slices_per_epoch([length], config) == pytest.approx(brute, rel=1e-12), length


def test_files_that_almost_never_yield_a_slice_stop_with_a_sentence_naming_the_flags(tmp_path):
    # Four files just over one slice: only the offsets 0..10 of 16384 give a slice (the drum corpus
    # without the short-clip flags, where the data used to run out after a "step" that trained nothing).
    write_corpus(tmp_path, [S + 10] * 4)
    with pytest.raises(UserError, match="--data_first_slice --data_pad_end") as error:
        data.prepare_files(cfg(tmp_path), batch_size=64)
    assert "0.00269 slices" in str(error.value)


@pytest.mark.slow
def test_passes_that_yield_nothing_by_chance_do_not_end_the_data(tmp_path):
    # Each file yields a slice only when its random offset is below S/2: a pass over the three is empty
    # one time in eight, and a batch of 4 × 5 slices spans about 13 passes.
    write_corpus(tmp_path, [S + S // 2] * 3)
    config = cfg(tmp_path)
    files = data.prepare_files(config, batch_size=4)
    tf.random.set_seed(0)
    batches = list(data.make_train_dataset(files, config, batch_size=4, batches_per_step=5).take(10))
    assert len(batches) == 10 and all(b.shape == (4, 5, S, 1) for b in batches)


def test_fewer_files_than_a_batch_fill_every_batch(tmp_path):
    write_corpus(tmp_path, [8000] * 3)
    config = cfg(tmp_path, first_slice=True)
    files = data.prepare_files(config, batch_size=16)
    batches = list(data.make_train_dataset(files, config, batch_size=16, batches_per_step=5).take(2))
    assert [b.shape for b in batches] == [(16, 5, S, 1)] * 2


def test_a_bad_file_is_skipped_and_the_rest_trains(tmp_path, caplog):
    write_corpus(tmp_path, [S] * 3)
    bad = fx.write_bad_files(os.path.join(tmp_path, "bad"))
    config = cfg(tmp_path, first_slice=True)
    with caplog.at_level(logging.WARNING, logger="wavegan"):
        files = data.prepare_files(config, batch_size=2)
    assert len(files) == 3
    assert all(any(p in r.getMessage() for r in caplog.records) for p in bad.values())
    batch = next(iter(data.make_train_dataset(files, config, batch_size=2, batches_per_step=1)))
    assert batch.shape == (2, 1, S, 1)


def test_a_file_that_fails_only_when_decoded_is_skipped_at_run_time(tmp_path, caplog):
    write_corpus(tmp_path, [S] * 2)
    config = cfg(tmp_path, first_slice=True)
    files = data.prepare_files(config, batch_size=1)
    os.remove(files[0].path)  # vanishes after probing: decoding it fails inside tf.data
    with caplog.at_level(logging.WARNING, logger="wavegan"):
        examples = list(data.example_dataset(files, config, shuffle=False, repeat=False).as_numpy_iterator())
    assert len(examples) == 1
    assert any(files[0].path in r.getMessage() for r in caplog.records)


def test_a_file_shorter_than_its_header_says_is_named_once_with_both_lengths(tmp_path, caplog):
    mp3 = fx.write(os.path.join(tmp_path, "cut.mp3"), fx.tone(3.0, RATE), RATE, "MP3", "MPEG_LAYER_III")
    with open(mp3, "rb") as f:
        head = f.read()
    with open(mp3, "wb") as f:  # cut off after a third: the header still promises 3 s
        f.write(head[:len(head) // 3])
    config = cfg(tmp_path, first_slice=True)
    files = data.prepare_files(config, batch_size=1)
    assert files[0].frames == 3 * RATE
    with caplog.at_level(logging.WARNING, logger="wavegan"):
        examples = list(data.example_dataset(files, config, shuffle=False).take(3).as_numpy_iterator())
    assert len(examples) == 3
    warnings = [r.getMessage() for r in caplog.records if mp3 in r.getMessage()]
    assert len(warnings) == 1 and "header promises 48000" in warnings[0], warnings
    decoded = int(warnings[0].split(" decodes to ")[1].split()[0])
    assert decoded < 48000 // 2


def test_folder_of_only_bad_files_stops_before_training(tmp_path):
    fx.write_bad_files(str(tmp_path))
    with pytest.raises(UserError, match="could be read"):
        data.prepare_files(cfg(tmp_path), batch_size=2)


def test_repeat_ends_instead_of_spinning_when_nothing_decodes(tmp_path):
    write_corpus(tmp_path, [S])
    config = cfg(tmp_path, first_slice=True)
    files = data.prepare_files(config, batch_size=1)
    os.remove(files[0].path)
    assert list(data.example_dataset(files, config).take(3).as_numpy_iterator()) == []


def test_fast_wav_matches_the_general_decoder_and_refuses_other_files(tmp_path):
    write_corpus(tmp_path, [S, 9000])
    general = cfg(tmp_path, first_slice=True)
    fast = cfg(tmp_path, first_slice=True, fast_wav=True)
    a = list(data.example_dataset(data.prepare_files(general, 1), general, shuffle=False, repeat=False))
    b = list(data.example_dataset(data.prepare_files(fast, 1), fast, shuffle=False, repeat=False))
    np.testing.assert_array_equal(np.stack(a), np.stack(b))
    write_corpus(os.path.join(tmp_path, "hi"), [S], subtype="PCM_24")
    with pytest.raises(UserError, match="drop --data_fast_wav"):
        data.prepare_files(fast, 1)


def test_mixed_formats_rates_and_channels_feed_one_pipeline(tmp_path):
    for i, (ext, fmt, subtype, _) in enumerate(fx.FORMATS):
        rate = 44100 if i % 2 else RATE
        fx.write(os.path.join(tmp_path, f"f{i}.{ext}"), fx.tone(1.5, rate, channels=1 + i % 2), rate, fmt, subtype)
    config = DataConfig(data_dir=str(tmp_path), num_channels=2, pad_end=True).resolved()
    files = data.prepare_files(config, batch_size=4)
    assert len(files) == len(fx.FORMATS)
    examples = list(data.example_dataset(files, config, shuffle=False, repeat=False).as_numpy_iterator())
    assert len(examples) >= len(fx.FORMATS)
    assert all(e.shape == (S, 2) and np.abs(e).max() <= 1.0 for e in examples)
    normalized = [e for e in examples if np.abs(e).max() > 0.99]  # peak-normalised per file by default
    assert normalized


def test_parallel_decoding_keeps_each_file_its_own_samples(tmp_path):
    """Guards the decoder against thread races (tensorflow-io's AudioIOTensor had one)."""
    lengths = [3000 + 701 * i for i in range(16)]
    write_corpus(tmp_path, lengths)
    config = cfg(tmp_path, first_slice=True)
    files = data.prepare_files(config, batch_size=1)
    for _ in range(3):
        examples = list(data.example_dataset(files, config, shuffle=False, repeat=False).as_numpy_iterator())
        assert [int(np.count_nonzero(e)) + 1 for e in examples] == lengths


def test_files_whose_channels_cannot_be_reconciled_are_skipped_up_front(tmp_path, caplog):
    fx.write(os.path.join(tmp_path, "stereo.wav"), fx.tone(1.1, RATE, channels=2), RATE)
    fx.write(os.path.join(tmp_path, "three.wav"), fx.tone(1.1, RATE, channels=3), RATE)
    config = cfg(tmp_path, num_channels=2, first_slice=True, fast_wav=True)
    with caplog.at_level(logging.WARNING, logger="wavegan"):
        files = data.prepare_files(config, batch_size=1)
    assert [os.path.basename(f.path) for f in files] == ["stereo.wav"]
    assert any("three.wav" in r.getMessage() and "3 channels" in r.getMessage() for r in caplog.records)
    (example,) = data.example_dataset(files, config, shuffle=False, repeat=False).as_numpy_iterator()
    assert example.shape == (S, 2)


@pytest.mark.parametrize("cache", ["memory", "file"])
def test_cache_decodes_each_file_once_and_keeps_reshuffling(tmp_path, cache, monkeypatch):
    lengths = [S - 1000 * i for i in range(8)]  # distinct lengths tell the files apart
    write_corpus(tmp_path / "audio", lengths)
    if cache == "file":
        os.makedirs(tmp_path / "cache")
        cache = str(tmp_path / "cache" / "decoded")
    config = cfg(tmp_path / "audio", first_slice=True, cache=cache)
    files = data.prepare_files(config, batch_size=1)
    decoded = []
    real_decode = data.audio.decode_audio
    monkeypatch.setattr(data.audio, "decode_audio", lambda path, *a: decoded.append(path) or real_decode(path, *a))
    # The 4096-example shuffle buffer fills from hundreds of epochs of these 8 files before the first
    # example comes out: without the cache each epoch would decode every file again.
    examples = data.example_dataset(files, config).take(4 * len(files))
    ids = [int(np.count_nonzero(e)) + 1 for e in examples.as_numpy_iterator()]
    assert sorted(decoded) == sorted(f.path for f in files)  # decoded in the first epoch only
    assert set(ids) <= set(lengths)
    assert ids[:len(files)] != ids[len(files):2 * len(files)]  # still shuffled
    if cache != "memory":
        assert glob.glob(cache + "*")


def test_labelled_pipeline_pairs_every_slice_with_its_file_class(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "SHUFFLE_BUFFER_EXAMPLES", 64)  # a small buffer fills fast; same semantics
    # Class c's files hold the constant (c + 1) / 8, so a slice's content names its class.
    files, ids = [], []
    for c, count in ((0, 1), (1, 3), (2, 2)):
        for i in range(count):
            path = write(str(tmp_path / f"C{c}_{i}.wav"), np.full((300, 1), (c + 1) / 8, np.float32), 16000)
            files.append(info(path, 300))
            ids.append(c)
    cfg = DataConfig(data_dir=str(tmp_path), slice_len=16384, first_slice=True, normalize=False,
                     labels="prefix", classes=["C0", "C1", "C2"]).resolved()
    examples = data.example_dataset(files, cfg, shuffle_buffer=64, labels=ids)
    batches = data.batch_dataset(examples, 4, 2).take(10)
    seen = []
    for audio, y in batches.as_numpy_iterator():
        assert audio.shape == (4, 2, 16384, 1) and y.shape == (4, 2)
        np.testing.assert_allclose(audio[..., 0, 0], (y + 1) / 8, atol=1e-4)
        seen += y.ravel().tolist()
    share = np.bincount(seen, minlength=3) / len(seen)
    np.testing.assert_allclose(share, [1 / 6, 3 / 6, 2 / 6], atol=0.12)  # as often as the data has each
    balanced = data.batch_dataset(data.balanced_example_dataset(files, cfg, ids, 3), 8, 1).take(30)
    seen = np.concatenate([y.ravel() for _, y in balanced.as_numpy_iterator()])
    np.testing.assert_allclose(np.bincount(seen, minlength=3) / len(seen), [1 / 3] * 3, atol=0.08)
