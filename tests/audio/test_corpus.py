"""The prepared corpus: decoded once, read natively, the same samples and the same slices as decoding."""

import logging
import os

import numpy as np
import pytest
import tensorflow as tf

from tests import audio_fixtures as fx
from wavegan.audio import files as audio
from wavegan.audio import corpus
from wavegan.audio import pipeline as data
from wavegan.config import DataConfig

RATE = 16000


def write_mixed_folder(folder):
    """16-bit at the training rate (stored as int16), and sources that need float32 after decoding."""
    fx.write(os.path.join(folder, "a_mono16.wav"), fx.tone(1.3, RATE), RATE)
    fx.write(os.path.join(folder, "b_stereo16.wav"), fx.tone(1.2, RATE, channels=2, amplitude=0.3), RATE)
    fx.write(os.path.join(folder, "c_resampled.wav"), fx.tone(1.1, 44100), 44100)
    fx.write(os.path.join(folder, "d_24bit.wav"), fx.tone(2.5, RATE, amplitude=0.7), RATE, "WAV", "PCM_24")
    fx.write(os.path.join(folder, "e.flac"), fx.tone(1.4, 22050, channels=2), 22050, "FLAC", "PCM_16")
    fx.write(os.path.join(folder, "f_long.wav"), fx.ramp(3 * 16384 + 1234), RATE)


@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("channels", [1, 2])
def test_corpus_reads_exactly_what_the_decoder_returns(tmp_path, normalize, channels):
    write_mixed_folder(tmp_path / "audio")
    config = DataConfig(data_dir=str(tmp_path / "audio"), num_channels=channels, normalize=normalize,
                        prepared=str(tmp_path / "corpus")).resolved()
    files = data.prepare_files(config, batch_size=1)
    entries = corpus.prepare(files, config, processes=0)
    assert len(entries) == len(files) == 6
    suffixes = [os.path.splitext(e)[1] for e in entries]
    # 16-bit sources at the training rate are held as int16, resampled or 24-bit ones as float32.
    assert (suffixes[0], suffixes[2], suffixes[3], suffixes[5]) == (".i16", ".f32", ".f32", ".i16")
    for info, entry in zip(files, entries):
        expected = audio.decode_audio(info.path, RATE, channels, normalize)
        np.testing.assert_array_equal(corpus.read(tf.constant(entry), config).numpy(), expected)


def test_prepared_pipeline_gives_the_same_slices_as_decoding(tmp_path):
    """For one seed, epoch after epoch: the same random offsets, hence the same slices."""
    write_mixed_folder(tmp_path / "audio")
    plain = DataConfig(data_dir=str(tmp_path / "audio"), pad_end=True).resolved()
    files = data.prepare_files(plain, batch_size=1)
    prepared = DataConfig(data_dir=str(tmp_path / "audio"), pad_end=True, prepared=str(tmp_path / "corpus")).resolved()
    runs = []
    for config in (plain, prepared, prepared):  # the second prepared run reuses the corpus
        tf.random.set_seed(7)
        runs.append(np.stack(list(data.example_dataset(files, config, shuffle=False).take(40).as_numpy_iterator())))
    np.testing.assert_array_equal(runs[0], runs[1])
    np.testing.assert_array_equal(runs[0], runs[2])
    per_epoch = len(runs[0]) // 4
    assert not np.array_equal(runs[1][:per_epoch], runs[1][per_epoch:2 * per_epoch])  # offsets redrawn


def test_prepared_pipeline_reshuffles_the_files_every_epoch(tmp_path):
    lengths = [16384 - 1000 * i for i in range(8)]  # distinct lengths tell the files apart
    for i, n in enumerate(lengths):
        fx.write(os.path.join(tmp_path / "audio", f"clip{i}.wav"), fx.ramp(n), RATE)
    config = DataConfig(data_dir=str(tmp_path / "audio"), first_slice=True, normalize=False,
                        prepared=str(tmp_path / "corpus")).resolved()
    files = data.prepare_files(config, batch_size=1)
    examples = data.example_dataset(files, config, shuffle_buffer=1).take(6 * len(files))
    ids = [int(np.count_nonzero(e)) + 1 for e in examples.as_numpy_iterator()]
    epochs = [ids[i:i + len(files)] for i in range(0, len(ids), len(files))]
    assert all(sorted(epoch) == sorted(lengths) for epoch in epochs)  # each epoch: every file once
    assert len({tuple(epoch) for epoch in epochs}) > 1


def test_prepare_decodes_only_new_or_changed_files(tmp_path, monkeypatch, caplog):
    write_mixed_folder(tmp_path / "audio")
    config = DataConfig(data_dir=str(tmp_path / "audio"), prepared=str(tmp_path / "corpus")).resolved()
    files = data.prepare_files(config, batch_size=1)
    first = corpus.prepare(files, config, processes=0)
    decoded = []
    real = audio.decode_audio
    monkeypatch.setattr(audio, "decode_audio", lambda path, *a, **k: decoded.append(path) or real(path, *a, **k))
    assert corpus.prepare(files, config, processes=0) == first and decoded == []
    changed = files[2].path
    fx.write(changed, fx.tone(1.0, 44100, freq=220.0), 44100)
    os.utime(changed, ns=(1, 1))
    files = data.prepare_files(config, batch_size=1)
    again = corpus.prepare(files, config, processes=0)
    assert decoded == [changed] and again[2] != first[2] and again[:2] == first[:2]
    # A file that fails when decoded is left out with a warning naming it.
    with open(files[0].path, "r+b") as f:
        f.seek(44)
        f.truncate()
    os.utime(files[0].path, ns=(2, 2))
    with caplog.at_level(logging.WARNING, logger="wavegan"):
        entries = corpus.prepare(data.prepare_files(config, batch_size=1), config, processes=0)
    assert len(entries) == 5 and any("a_mono16.wav" in r.getMessage() for r in caplog.records)
