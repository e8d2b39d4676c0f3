"""wavegan.cli.flags: shared flags a baseline does not use are refused in one sentence (declare_unused_flags),
before the script's main runs, and each baseline declares exactly the slicing flags its data path overrides."""

import dataclasses

import pytest
from absl import flags

from framernn.config import UNUSED_SHARED_FLAGS as FRAMERNN_UNUSED
from wavegan.cli import flags as cli
from wavegan.cli import runner
from wavegan.config import DataConfig
from wavegan.errors import UserError
from wavenet.config import UNUSED_SHARED_FLAGS as WAVENET_UNUSED

UNUSED = {"data_overlap_ratio": ("the WaveNet", "its pieces never overlap"),
          "data_pad_end": ("the WaveNet", "it keeps every last piece")}


def parsed(*args: str) -> flags.FlagValues:
    values = flags.FlagValues()
    flags.DEFINE_string("data_dir", None, "", flag_values=values)
    flags.DEFINE_float("data_overlap_ratio", 0.0, "", flag_values=values)
    flags.DEFINE_boolean("data_pad_end", False, "", flag_values=values)
    values(["prog", *args])
    return values


def test_a_used_or_absent_flag_passes():
    cli.refuse_unused_flags(parsed(), UNUSED)
    cli.refuse_unused_flags(parsed("--data_dir", "x"), UNUSED)


@pytest.mark.parametrize("args", [["--data_overlap_ratio", "0.5"], ["--data_overlap_ratio", "0"]])
def test_a_given_unused_flag_is_refused_even_at_its_default(args):
    with pytest.raises(UserError) as e:
        cli.refuse_unused_flags(parsed("--data_dir", "x", *args), UNUSED)
    assert str(e.value) == "--data_overlap_ratio does not apply to the WaveNet: its pieces never overlap; drop it."


def test_several_unused_flags_are_named_in_one_sentence():
    with pytest.raises(UserError) as e:
        cli.refuse_unused_flags(parsed("--nodata_pad_end", "--data_overlap_ratio", "0.5"), UNUSED)
    message = str(e.value)
    assert message.startswith("--data_overlap_ratio and --data_pad_end do not apply to the WaveNet (")
    assert "--data_pad_end because it keeps every last piece" in message and message.count(".") == 1 and message.endswith("): drop them.")


def test_report_user_errors_refuses_before_main_runs(monkeypatch, capsys):
    monkeypatch.setattr(cli, "FLAGS", parsed("--data_pad_end"))
    monkeypatch.setattr(cli, "_unused", UNUSED)
    ran = []
    with pytest.raises(SystemExit) as e:
        runner.report_user_errors(ran.append)(["prog"])
    assert e.value.code == 2 and not ran
    assert capsys.readouterr().err == "error: --data_pad_end does not apply to the WaveNet: it keeps every last piece; drop it.\n"


def test_declaring_a_flag_nobody_defines_is_a_programming_error():
    with pytest.raises(ValueError, match="data_no_such_flag"):
        cli.declare_unused_flags("the WaveNet", {"data_no_such_flag": "typo"})


@pytest.mark.parametrize("field,flag,value", [("overlap_ratio", "data_overlap_ratio", 0.5),
                                              ("first_slice", "data_first_slice", True),
                                              ("pad_end", "data_pad_end", True)])
def test_the_declarations_match_what_each_data_path_overrides(field, flag, value):
    from framernn.config import FrameRNNConfig
    from framernn.data import sequence_config
    from wavenet.data import piece_config

    base = DataConfig(data_dir="x")
    changed = dataclasses.replace(base, **{field: value})
    ignored_by_wavenet = piece_config(changed, 5117, 100000) == piece_config(base, 5117, 100000)
    model = FrameRNNConfig()
    ignored_by_framernn = sequence_config(changed, model) == sequence_config(base, model)
    assert (flag in WAVENET_UNUSED) == ignored_by_wavenet
    assert (flag in FRAMERNN_UNUSED) == ignored_by_framernn
    assert ignored_by_wavenet  # the WaveNet cuts its own pieces: none of the three applies
