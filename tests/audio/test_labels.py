"""wavegan.audio.labels: classes from folder names or name prefixes, the files that match none, the label set."""

import numpy as np
import pytest

from tests.audio_fixtures import info
from wavegan.audio import labels
from wavegan.config import DataConfig, RunConfig, TrainConfig
from wavegan.errors import UserError
from wavegan.models.config import WaveGANConfig


def test_prefix_labels_are_the_name_up_to_the_first_underscore(tmp_path):
    root = str(tmp_path)
    assert labels.class_name(f"{root}/x/Seven_0a2b_nohash_1.wav", root, "prefix") == "Seven"
    assert labels.class_name(f"{root}/kick.wav", root, "prefix") is None
    assert labels.class_name(f"{root}/_odd.wav", root, "prefix") is None
    paths = [f"{root}/Two_1.wav", f"{root}/sub/Seven_2.wav", f"{root}/Two_3.wav", f"{root}/noclass.wav"]
    assert labels.discover_classes(paths, root, "prefix") == ["Seven", "Two"]


def test_folder_labels_are_the_parent_folder(tmp_path):
    root = str(tmp_path)
    assert labels.class_name(f"{root}/kick/a_b.wav", root, "folder") == "kick"
    assert labels.class_name(f"{root}/drums/snare/1.wav", root, "folder") == "snare"
    assert labels.class_name(f"{root}/loose.wav", root, "folder") is None
    assert labels.discover_classes([f"{root}/snare/1.wav", f"{root}/kick/2.wav"], root, "folder") == ["kick", "snare"]
    with pytest.raises(UserError, match="only the class 'kick'.*two or more"):
        labels.discover_classes([f"{root}/kick/1.wav", f"{root}/loose.wav"], root, "folder")


def test_labels_by_name_or_index():
    classes = ["Five", "Seven", "Two"]
    assert [labels.parse_label(t, classes) for t in ("seven", "Two", "0", "2")] == [1, 2, 0, 2]
    for bad in ("Nine", "3", "-1"):
        with pytest.raises(UserError, match="Five, Seven, Two or an index from 0 to 2"):
            labels.parse_label(bad, classes)


def test_unmatched_files_are_named_and_classes_without_audio_refused(tmp_path, caplog):
    root = str(tmp_path)
    cfg = DataConfig(data_dir=root, labels="folder", classes=["kick", "snare"])
    files = [info(f"{root}/kick/1.wav", 20000), info(f"{root}/snare/1.wav", 20000), info(f"{root}/loose.wav", 20000)]
    kept = labels.usable_files(files, cfg)
    assert [f.path for f in kept] == [f"{root}/kick/1.wav", f"{root}/snare/1.wav"]
    assert f"{root}/loose.wav" in caplog.text and "match no class" in caplog.text
    short = [info(f"{root}/kick/1.wav", 20000), info(f"{root}/snare/1.wav", 100)]  # < one slice, no pad_end
    with pytest.raises(UserError, match="class snare of this run has no usable audio"):
        labels.usable_files(short, cfg)
    np.testing.assert_array_equal(labels.file_label_ids(kept, cfg), [0, 1])


def test_label_balance_without_labels_is_refused():
    run = RunConfig("wavegan", DataConfig(data_dir="d"), WaveGANConfig(), TrainConfig(label_balance=True))
    with pytest.raises(UserError, match="pass --data_labels folder or prefix"):
        labels.with_classes(run, [])
