"""eval.score: --asked_from_names (the class a generated clip was asked for, read from its file name), and the
folders it reads."""

import pytest

from eval.score import asked_from_names
from wavegan.errors import UserError

LABELS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def test_the_name_prefix_names_the_classifier_label_in_any_case():
    paths = ["/g/step_1/Seven_00007.wav", "/g/step_1/Zero_00010.wav", "/g/nine_3.wav"]
    assert asked_from_names(paths, LABELS).tolist() == [7, 0, 9]


def test_a_file_without_a_class_prefix_is_refused_by_name():
    with pytest.raises(UserError, match="00003.wav has no '<class>_' prefix"):
        asked_from_names(["/g/Seven_1.wav", "/g/00003.wav"], LABELS)


def test_a_class_the_classifier_does_not_know_is_refused():
    with pytest.raises(UserError, match="no label Kick"):
        asked_from_names(["/g/Kick_1.wav"], LABELS)


@pytest.mark.parametrize("flag", ["--audio_dir", "--real_dir"])
def test_eval_score_names_the_flag_the_folder_came_from(tmp_path, flag):
    from eval import score

    with pytest.raises(UserError, match=f"^{flag} '/nonexistent/audio' is not a folder"):
        score.sample_files("/nonexistent/audio", None, flag)
    with pytest.raises(UserError, match=f"pass another {flag}"):
        score.sample_files(str(tmp_path), None, flag)
    with pytest.raises(UserError, match="^--audio_dir"):
        score.sample_files("/nonexistent/audio", None)
