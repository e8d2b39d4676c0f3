"""The JAX step's state as .npz files, for machines without TensorFlow: the second format of checkpoints.py.

Runs of the train scripts checkpoint with tf.train.Checkpoint (`wavegan/train/checkpoints.py`), on either
backend. Where TensorFlow is not installed (the GPU kit's machines, bench/gpu_kit.py) that cannot be written,
so there the whole state of `wavegan.train.step_jax` (its STATE_PARTS: both models' variables, batch-norm
statistics and phase shuffle's RNG state included, and both optimisers) is saved as `state-<step>.npz`, one
array per variable in the step's order, and `state.json` names the newest whole one, with whatever the
caller keeps beside it (`meta`). The .npz is written under a temporary name and renamed, and state.json is
replaced (atomically) only after that, so a kill mid-save leaves the previous checkpoint in force.

numpy and the standard library only: no TensorFlow, no Keras, no JAX.
"""

from __future__ import annotations

import glob
import json
import os

import numpy as np

from wavegan.config import write_text_atomically
from wavegan.errors import UserError

META_FILE = "state.json"
PREFIX = "state-"


def load_meta(folder: str) -> dict | None:
    """What the newest save wrote into state.json (None where nothing was saved yet)."""
    path = os.path.join(folder, META_FILE)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def write_meta(folder: str, meta: dict) -> None:
    """Replaces state.json (atomically); `meta` must keep the `step` and `checkpoint` a save put there."""
    write_text_atomically(os.path.join(folder, META_FILE), json.dumps(meta, indent=1, sort_keys=True))


def save(folder: str, state: dict, meta: dict, step: int, keep: int) -> str:
    """Writes `state` ({part: [arrays]}) as state-<step>.npz, then `meta` with that step and file name
    (`meta` is updated in place), and removes all but the newest `keep` files; returns the file's name."""
    name = f"{PREFIX}{step:08d}.npz"
    arrays = {f"{part}__{i:04d}": np.asarray(v) for part, values in state.items() for i, v in enumerate(values)}
    tmp = os.path.join(folder, f"tmp-{os.getpid()}.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, os.path.join(folder, name))
    meta.update(step=step, checkpoint=name)
    write_meta(folder, meta)  # only now does a resume see it
    for old in sorted(glob.glob(os.path.join(folder, f"{PREFIX}*.npz")))[:-keep]:
        os.remove(old)
    return name


def restore(folder: str, meta: dict, template: dict) -> dict:
    """The state `meta` names, in the structure and dtypes of `template` (the state of a freshly built
    trainer, `step_jax.get_state`); a file of another model is refused in one sentence."""
    path = os.path.join(folder, meta["checkpoint"])
    state = {}
    with np.load(path) as arrays:
        for part, values in template.items():
            keys = sorted(k for k in arrays.files if k.startswith(part + "__"))
            if len(keys) != len(values):
                raise UserError(f"{path} holds {len(keys)} {part} variables, the model {len(values)}: it was saved "
                                f"by another model; start afresh in another folder than {folder}.")
            state[part] = []
            for key, value in zip(keys, values):
                if arrays[key].shape != tuple(value.shape):
                    raise UserError(f"{path}: {key} has shape {arrays[key].shape}, the model {tuple(value.shape)}: "
                                    f"it was saved by another model; start afresh in another folder than {folder}.")
                state[part].append(arrays[key].astype(value.dtype))
    return state
