"""wavegan.config: the run's settings, checked as the flags give them and against a resumed run's."""

import json
import os

import pytest

from wavegan.config import DataConfig, RunConfig, TrainConfig, save_run_config
from wavegan.errors import UserError
from wavegan.models.config import WaveGANConfig


def test_overlap_errors_name_the_flag():
    with pytest.raises(UserError, match="--data_overlap_ratio"):
        DataConfig(overlap_ratio=1.0).resolved()
    with pytest.raises(UserError, match="--data_slice_len"):
        DataConfig(slice_len=8000).resolved()


def test_resume_with_another_label_set_is_refused(tmp_path):
    def run(classes, mode="prefix"):
        return RunConfig("wavegan", DataConfig(data_dir="d", labels=mode, classes=classes), WaveGANConfig(dim=4),
                         TrainConfig())

    train_dir = str(tmp_path)
    save_run_config(train_dir, run(["Five", "Two"]))
    save_run_config(train_dir, run(["Five", "Two"]))  # the same set resumes
    with open(os.path.join(train_dir, "config.json")) as f:
        assert json.load(f)["data"]["classes"] == ["Five", "Two"]
    with pytest.raises(UserError, match=r"trained with 2 classes \(Five, Two\) but this run has 3 classes "
                                        r"\(Five, Nine, Two\): resume with --data_labels prefix"):
        save_run_config(train_dir, run(["Five", "Nine", "Two"]))
    with pytest.raises(UserError, match="but this run has no labels"):
        save_run_config(train_dir, run([], ""))
