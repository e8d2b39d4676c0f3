"""wavegan/train/state_files.py: the JAX step's state as .npz files (the GPU kit's checkpoints)."""

import os

import numpy as np
import pytest

from wavegan.errors import UserError
from wavegan.train import state_files


def _state(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    return {"g_trainable": [rng.standard_normal((3, 2)).astype(np.float32), rng.standard_normal(4).astype(np.float32)],
            "g_optimizer": [np.array(seed, np.int64), rng.standard_normal((3, 2)).astype(np.float32)]}


def test_a_saved_state_restores_in_the_templates_structure_and_dtypes(tmp_path):
    folder = str(tmp_path)
    assert state_files.load_meta(folder) is None
    state = _state(7)
    meta = {"feed": {"epoch": 3}}
    name = state_files.save(folder, state, meta, step=12, keep=2)
    assert name == "state-00000012.npz" and meta["step"] == 12 and meta["checkpoint"] == name
    assert state_files.load_meta(folder) == {"feed": {"epoch": 3}, "step": 12, "checkpoint": name}
    # The step on JAX without x64 holds its counters as int32: the template's dtype wins.
    template = {"g_trainable": [np.zeros((3, 2), np.float32), np.zeros(4, np.float32)],
                "g_optimizer": [np.zeros((), np.int32), np.zeros((3, 2), np.float32)]}
    back = state_files.restore(folder, state_files.load_meta(folder), template)
    assert list(back) == list(template)
    for part in template:
        for restored, saved, like in zip(back[part], state[part], template[part]):
            assert restored.dtype == like.dtype
            np.testing.assert_array_equal(restored, saved.astype(like.dtype))


def test_only_the_newest_keep_files_stay_and_the_meta_names_the_newest(tmp_path):
    folder = str(tmp_path)
    meta = {}
    for step in (1, 2, 3):
        state_files.save(folder, _state(step), meta, step=step, keep=2)
    assert sorted(os.listdir(folder)) == ["state-00000002.npz", "state-00000003.npz", "state.json"]
    assert state_files.load_meta(folder)["checkpoint"] == "state-00000003.npz"
    meta["commands"] = ["one"]
    state_files.write_meta(folder, meta)
    assert state_files.load_meta(folder)["commands"] == ["one"]


@pytest.mark.parametrize("template", [
    {"g_trainable": [np.zeros((3, 2), np.float32)], "g_optimizer": [np.zeros(()), np.zeros((3, 2))]},  # fewer
    {"g_trainable": [np.zeros((3, 3), np.float32), np.zeros(4)], "g_optimizer": [np.zeros(()), np.zeros((3, 2))]},
])
def test_a_state_of_another_model_is_refused_in_one_sentence(tmp_path, template):
    meta = {}
    state_files.save(str(tmp_path), _state(1), meta, step=1, keep=2)
    with pytest.raises(UserError, match="saved by another model; start afresh in another folder"):
        state_files.restore(str(tmp_path), meta, template)
