"""The validation split (wavegan/audio/split.py): disjoint, by speaker / folder / class, seeded, kept on resume,
and never read by the training pipeline."""

import json
import os

import numpy as np
import pytest

from tests import audio_fixtures as fx
from wavegan import config
from wavegan.audio import files as audio
from wavegan.audio import pipeline as data
from wavegan.audio import split
from wavegan.config import DataConfig, RunConfig, TrainConfig
from wavegan.errors import UserError

RATE = 16000
LEGACY = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "legacy_runs")


def write_constant(path: str, index: int, length: int = 4000) -> str:
    """A file whose every sample is (index + 1) / 64, exact in 16-bit PCM: a slice's values name its file."""
    return fx.write(path, np.full((length, 1), (index + 1) / 64.0, np.float32), RATE)


def cfg(data_dir, **kwargs) -> DataConfig:
    return DataConfig(data_dir=str(data_dir), normalize=False, first_slice=True, **kwargs).resolved()


def probed(data_dir) -> list[audio.AudioFileInfo]:
    return audio.probe_audio_files(audio.find_audio_files(str(data_dir)))


@pytest.fixture
def speakers(tmp_path):
    """SC09-style names: 6 speakers × 2 digits × 2 takes; file i holds the value (i + 1) / 64."""
    paths = []
    for s in range(6):
        for digit in ("One", "Two"):
            for take in range(2):
                paths.append(f"{digit}_{0xabc00000 + s:08x}_nohash_{take}.wav")
    folder = tmp_path / "data"
    for i, name in enumerate(sorted(paths)):
        write_constant(str(folder / name), i)
    return folder


def speaker(path):
    return os.path.basename(path).split("_")[1]


def test_the_split_is_disjoint_complete_and_holds_out_whole_speakers(speakers, tmp_path):
    infos = probed(speakers)
    result = split.split_files(infos, cfg(speakers, valid_fraction=0.34), str(tmp_path / "run"))
    train, valid = {f.path for f in result.train}, {f.path for f in result.valid}
    assert train.isdisjoint(valid) and train | valid == {f.path for f in infos}
    assert len({speaker(p) for p in valid}) == 2  # round(0.34 × 6 speakers)
    assert {speaker(p) for p in train}.isdisjoint({speaker(p) for p in valid})
    by_file = split.split_files(infos, cfg(speakers, valid_fraction=0.34, valid_group="file"), str(tmp_path / "r2"))
    assert len(by_file.valid) == 8 and {speaker(f.path) for f in by_file.valid} & {speaker(f.path) for f in by_file.train}


def test_the_seed_chooses_reproducibly(speakers, tmp_path):
    infos = probed(speakers)

    def held_out(seed, where):
        return sorted(f.path for f in split.split_files(infos, cfg(speakers, valid_fraction=0.34, valid_seed=seed,
                                                                   valid_group="file"), str(tmp_path / where)).valid)

    assert held_out(0, "a") == held_out(0, "b")
    assert held_out(0, "a") != held_out(1, "c")


def test_the_recorded_split_is_kept_on_resume_and_new_files_follow_their_speaker(speakers, tmp_path):
    train_dir = str(tmp_path / "run")
    os.makedirs(train_dir)
    first = split.split_files(probed(speakers), cfg(speakers, valid_fraction=0.34), train_dir)
    first.record(train_dir)
    listed = split.read_record(train_dir)
    assert sorted(listed) == sorted(os.path.relpath(f.path, str(speakers)) for f in first.valid)
    held_speaker, trained_speaker = speaker(first.valid[0].path), speaker(first.train[0].path)
    write_constant(str(speakers / f"Nine_{held_speaker}_nohash_0.wav"), 40)
    write_constant(str(speakers / f"Nine_{trained_speaker}_nohash_0.wav"), 41)
    write_constant(str(speakers / "Nine_0fffffff_nohash_0.wav"), 42)  # a new speaker: training, as recorded
    again = split.split_files(probed(speakers), cfg(speakers, valid_fraction=0.34), train_dir)
    assert {f.path for f in again.valid} == {f.path for f in first.valid} | {str(speakers / f"Nine_{held_speaker}_nohash_0.wav")}
    assert {speaker(f.path) for f in again.train}.isdisjoint({speaker(f.path) for f in again.valid})


def test_with_labels_every_class_is_held_out_from(tmp_path):
    folder = tmp_path / "data"
    for i in range(10):
        write_constant(str(folder / f"Kick_{i}.wav"), i)
    for i in range(4):
        write_constant(str(folder / f"Snare_{i}.wav"), 10 + i)
    result = split.split_files(probed(folder), cfg(folder, valid_fraction=0.25, labels="prefix"), str(tmp_path / "r"))
    classes = sorted(os.path.basename(f.path).split("_")[0] for f in result.valid)
    assert classes == ["Kick", "Kick", "Kick", "Snare"]  # 0.25 × 10 = 2.5 → 3 (half up); 0.25 × 4 = 1
    trained = {os.path.basename(f.path).split("_")[0] for f in result.train}
    assert trained == {"Kick", "Snare"}
    single = tmp_path / "one"
    for i in range(3):
        write_constant(str(single / f"Kick_{i}.wav"), i)
    write_constant(str(single / "Snare_0.wav"), 3)  # a class of one file cannot be on both sides: it trains
    result = split.split_files(probed(single), cfg(single, valid_fraction=0.3, labels="prefix"), str(tmp_path / "s"))
    assert [os.path.basename(f.path) for f in result.valid] in (["Kick_0.wav"], ["Kick_1.wav"], ["Kick_2.wav"])


def test_folder_groups_keep_a_folder_together(tmp_path):
    folder = tmp_path / "data"
    for session in range(4):
        for i in range(3):
            write_constant(str(folder / f"session{session}" / f"take{i}.wav"), 3 * session + i)
    result = split.split_files(probed(folder), cfg(folder, valid_fraction=0.25, valid_group="folder"), str(tmp_path / "r"))
    held = {os.path.basename(os.path.dirname(f.path)) for f in result.valid}
    assert len(held) == 1 and len(result.valid) == 3
    assert held.isdisjoint(os.path.basename(os.path.dirname(f.path)) for f in result.train)


def test_a_folder_split_by_hand_is_left_out_of_training_even_inside_data_dir(tmp_path):
    folder = tmp_path / "digits"
    for i in range(4):
        write_constant(str(folder / "train" / f"One_{i}.wav"), i)
    for i in range(2):
        write_constant(str(folder / "valid" / f"One_{i}.wav"), 10 + i)
    result = split.split_files(probed(folder), cfg(folder, valid_dir=str(folder / "valid")), str(tmp_path / "r"))
    assert sorted(os.path.basename(os.path.dirname(f.path)) for f in result.train) == ["train"] * 4
    assert sorted(os.path.basename(os.path.dirname(f.path)) for f in result.valid) == ["valid"] * 2
    with pytest.raises(UserError, match="lies inside --data_valid_dir"):
        split.split_files(probed(folder / "train"), cfg(folder / "train", valid_dir=str(folder)), str(tmp_path / "r"))


def test_nothing_changes_without_a_split(speakers, tmp_path):
    infos = probed(speakers)
    result = split.split_files(infos, cfg(speakers), str(tmp_path / "run"))
    assert result.train == infos and result.valid == []
    result.record(str(tmp_path))
    assert not os.path.exists(tmp_path / split.VALID_FILES)


@pytest.mark.parametrize("kwargs,message", [
    ({"valid_fraction": 1.0}, "--data_valid_fraction must be in"),
    ({"valid_fraction": 0.1, "valid_dir": "x"}, "pass one of them"),
    ({"valid_group": "speaker"}, "--data_valid_group must be one of"),
])
def test_bad_split_settings_are_one_sentence(kwargs, message):
    with pytest.raises(UserError, match=message):
        DataConfig(**kwargs).resolved()


def test_one_group_cannot_be_split(tmp_path):
    folder = tmp_path / "data"
    for i in range(3):
        write_constant(str(folder / f"take_{0xabc00000:08x}_nohash_{i}.wav"), i)
    with pytest.raises(UserError, match="single group"):
        split.split_files(probed(folder), cfg(folder, valid_fraction=0.5), str(tmp_path / "r"))


def run_with(data: DataConfig) -> RunConfig:
    from wavegan.models.config import WaveGANConfig

    return RunConfig("wavegan", data, WaveGANConfig(dim=8), TrainConfig())


def test_a_resume_with_another_split_is_refused_and_old_runs_load(tmp_path):
    base = DataConfig(data_dir="d", valid_fraction=0.1)
    config.save_run_config(str(tmp_path), run_with(base))
    config.check_run_config(str(tmp_path), run_with(base))
    for changed in (DataConfig(data_dir="d"), DataConfig(data_dir="d", valid_fraction=0.2),
                    DataConfig(data_dir="d", valid_fraction=0.1, valid_seed=1)):
        with pytest.raises(UserError, match="--data_valid_fraction 0.1 --data_valid_seed 0"):
            config.check_run_config(str(tmp_path), run_with(changed))
    with open(os.path.join(LEGACY, "wavegan", "config.json")) as f:
        legacy = RunConfig.from_dict(json.load(f))  # written before the split existed
    assert not legacy.data.has_split and legacy.train.stop_patience == 0


def test_validation_flags_need_held_out_data():
    with pytest.raises(UserError, match="--train_stop_patience needs held-out data"):
        config.check_validation_flags(run_with(DataConfig()), {"train_stop_patience"})
    config.check_validation_flags(run_with(DataConfig(valid_fraction=0.1)), {"train_stop_patience"})
    config.check_validation_flags(run_with(DataConfig()), {"train_batch_size"})


def source_index(info) -> int:
    return int(round(audio.decode_audio(info.path, RATE, 1, False)[0, 0] * 64)) - 1


def test_fixed_slices_are_the_same_on_every_call(speakers):
    infos = probed(speakers)
    data_cfg = cfg(speakers)
    first, sources = split.fixed_slices(infos, data_cfg, 5)
    again, _ = split.fixed_slices(infos, data_cfg, 5)
    np.testing.assert_array_equal(first, again)
    assert first.shape == (5, 16384, 1) and len(set(sources.tolist())) == 5  # first_slice: one slice per file
    for slice_, source in zip(first, sources):
        np.testing.assert_allclose(slice_[:4000, 0], (source_index(infos[source]) + 1) / 64.0)
        assert not slice_[4000:].any()  # the zero padding of a short file


def test_no_held_out_file_reaches_a_training_batch(speakers, tmp_path, monkeypatch):
    """train_run's files, through the real training pipeline: only the training side's values appear."""
    from wavegan.train import adversarial

    captured = {}

    def capture(train_dir, run, files, kind, *args, **kwargs):
        captured.update(run=run, files=files, valid=kwargs["valid"])
        return 0

    monkeypatch.setattr(adversarial, "train", capture)
    adversarial.train_run(str(tmp_path / "run"), run_with(cfg(speakers, valid_fraction=0.34)), lambda chief: None)

    def values(files):
        return {round((source_index(f) + 1) / 64.0, 6) for f in files}

    trained, held_out = values(captured["files"]), values(captured["valid"])
    assert held_out and trained.isdisjoint(held_out) and len(trained) + len(held_out) == 24
    dataset = data.make_train_dataset(captured["files"], captured["run"].data, batch_size=4, batches_per_step=2)
    seen = set()
    for batch in dataset.take(40).as_numpy_iterator():
        seen |= {round(float(v), 6) for v in np.unique(batch) if v != 0}
    assert seen == trained  # every training file, and nothing else, reached the batches
