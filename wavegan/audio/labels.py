"""Class labels of the training files, for label-conditional WaveGAN and SpecGAN (`--data_labels`).

`folder`: a file's parent folder names its class (`kicks/001.wav` is a `kicks`); `prefix`: the file name
up to its first `_` names it (SC09's `Seven_0a2b3c4d_nohash_0.wav` is a `Seven`). The classes found at
the first train run are sorted by name, listed, and saved in config.json (`data.classes`, a class's
index is its position there); a resume must find the same set. Everything after training (generate,
preview, export, eval) reads the names from there.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Sequence

import numpy as np

from wavegan.audio import files as audio
from wavegan.audio import categories
from wavegan.audio.split import outside_valid_dir
from wavegan.config import DataConfig, RunConfig
from wavegan.audio.pipeline import expected_slices_per_epoch
from wavegan.errors import UserError

log = logging.getLogger("wavegan")

MODES = ("folder", "prefix")
NAMES_SHOWN = 10  # unmatched files named in a warning before "and N more"


def class_name(path: str, data_dir: str, mode: str) -> str | None:
    """The class a file belongs to by its path, or None when the path names none."""
    if mode not in MODES:
        raise ValueError(f"label mode must be one of {MODES}, got {mode!r}")
    return categories.category_or_none(path, mode, data_dir)


def discover_classes(paths: Sequence[str], data_dir: str, mode: str) -> list[str]:
    """The sorted class names the paths carry; at least two, or conditioning means nothing."""
    names = sorted({name for name in (class_name(p, data_dir, mode) for p in paths) if name is not None})
    how = ("sits in a sub-folder of --data_dir" if mode == "folder"
           else "is named <Class>_<anything> (as SC09's Seven_0a2b.wav)")
    if len(names) < 2:
        found = f"only the class {names[0]!r}" if names else "no class"
        raise UserError(f"--data_labels {mode} found {found} among the {len(paths)} files under {data_dir}: "
                        f"conditioning needs two or more classes, so check that every file {how}.")
    return names


def with_classes(run: RunConfig) -> RunConfig:
    """`run` with the classes found under its data dir (unchanged without --data_labels); lists them."""
    if not run.data.labels:
        if run.train.label_balance:
            raise UserError("--train_label_balance balances the classes of --data_labels: pass --data_labels "
                            "folder or prefix too, or drop it.")
        return run
    paths = outside_valid_dir(audio.find_audio_files(run.data.data_dir), run.data)  # its folders are no class
    classes = discover_classes(paths, run.data.data_dir, run.data.labels)
    counts = {name: 0 for name in classes}
    for path in paths:
        name = class_name(path, run.data.data_dir, run.data.labels)
        if name is not None:
            counts[name] += 1
    log.info("%d classes by %s: %s.", len(classes), run.data.labels,
             ", ".join(f"{i} {name} ({counts[name]} files)" for i, name in enumerate(classes)))
    return dataclasses.replace(run, data=dataclasses.replace(run.data, classes=classes))


def file_label_ids(files: Sequence[audio.AudioFileInfo], cfg: DataConfig) -> np.ndarray:
    """Class index of every file, int32 [len(files)]; every file must belong to one of cfg.classes."""
    index = {name: i for i, name in enumerate(cfg.classes)}
    ids = [index.get(class_name(f.path, cfg.data_dir, cfg.labels)) for f in files]
    missing = [f.path for f, i in zip(files, ids) if i is None]
    if missing:
        raise ValueError(f"{len(missing)} files match no class, e.g. {missing[0]} (filter with usable_files)")
    return np.asarray(ids, np.int32)


def usable_files(files: Sequence[audio.AudioFileInfo], cfg: DataConfig) -> list[audio.AudioFileInfo]:
    """The files that belong to a class (the others are named in a warning and left out), after
    checking that every class still has audio that yields a slice (else one sentence naming them)."""
    names = [class_name(f.path, cfg.data_dir, cfg.labels) for f in files]
    unmatched = [f.path for f, name in zip(files, names) if name not in cfg.classes]
    if unmatched:
        shown = ", ".join(unmatched[:NAMES_SHOWN])
        more = f" and {len(unmatched) - NAMES_SHOWN} more" if len(unmatched) > NAMES_SHOWN else ""
        log.warning("Leaving out %d files that match no class of %s (--data_labels %s): %s%s.", len(unmatched),
                    ", ".join(cfg.classes), cfg.labels, shown, more)
    kept = [f for f, name in zip(files, names) if name in cfg.classes]
    by_class = {c: [f.frames_at(cfg.sample_rate) for f, name in zip(files, names) if name == c] for c in cfg.classes}
    empty = [c for c, lengths in by_class.items() if expected_slices_per_epoch(lengths, cfg) == 0]
    if empty:
        raise UserError(f"The class{'es' if len(empty) > 1 else ''} {', '.join(empty)} of this run "
                        f"{'have' if len(empty) > 1 else 'has'} no usable audio (no readable file that yields a "
                        "slice; see the warnings above): add audio for them, or train in a new train_dir "
                        "without them.")
    return kept


def parse_label(text: str, classes: Sequence[str]) -> int:
    """A class given by name (any case) or by index → its index."""
    text = text.strip()
    lowered = [c.lower() for c in classes]
    if text.lower() in lowered:
        return lowered.index(text.lower())
    if text.lstrip("-").isdigit() and 0 <= int(text) < len(classes):
        return int(text)
    raise UserError(f"{text!r} is not a class of this model: pass one of {', '.join(classes)} "
                    f"or an index from 0 to {len(classes) - 1}.")


def cycled_labels(n: int, num_classes: int) -> np.ndarray:
    """0, 1, …, C−1, 0, 1, …: n labels covering the classes evenly (fixed latents of preview / incept)."""
    return (np.arange(n) % num_classes).astype(np.int32)
