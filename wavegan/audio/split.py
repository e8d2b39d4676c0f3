"""The validation split: which files training never reads, and fixed slices of a set of files to measure on.

Two ways to choose the held-out files (none: the paper's setting, every file trains):

- `--data_valid_fraction F` holds out a share F of the files under --data_dir, chosen by `--data_valid_seed`
  in whole groups so that no source is on both sides: with `--data_valid_group auto` a file's group is the
  speaker its name carries (Speech Commands' `<speaker>_nohash_<n>.wav`, as SC09's `Seven_0a2b400e_nohash_0`;
  VCTK's `p<speaker>_<utterance>.wav`), else the file itself; `file` groups nothing; `folder` keeps every file
  of a sub-folder together. Groups are ranked by a hash of (seed, group), so a group's side does not depend on
  which other files exist, and F · groups of them (rounded half up; at least one, never all) are held out. With
  `--data_labels` and groups that each lie in one class, that is done class by class, so every class with two
  groups or more is validated on.
- `--data_valid_dir DIR` takes a folder split by hand; files under it are left out of training even where it
  lies inside --data_dir.

The held-out list is written to `TRAIN_DIR/valid_files.txt` (relative to the folder they were found in) once
training starts, and a resumed run holds out the files listed there (plus any new file of a held-out group);
config.json keeps the flags, and a resume with other ones is refused (wavegan/config.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import re
from typing import Callable, Sequence

import numpy as np

from wavegan.audio import categories
from wavegan.audio import files as audio
from wavegan.audio.slicing import count_slices, expected_slices_per_epoch
from wavegan.config import DataConfig
from wavegan.errors import UserError

log = logging.getLogger("wavegan")

VALID_FILES = "valid_files.txt"
# Speech Commands (and so SC09): an 8-hex-digit speaker hash followed by _nohash_, after the label if any.
SPEECH_COMMANDS_SPEAKER = re.compile(r"(?:^|_)([0-9a-f]{8})_nohash_", re.IGNORECASE)


@dataclasses.dataclass
class Split:
    """The files training reads and the files it never reads (empty without a split)."""

    train: list[audio.AudioFileInfo]
    valid: list[audio.AudioFileInfo] = dataclasses.field(default_factory=list)
    root: str = ""  # the folder `valid` paths are recorded relative to
    header: str = ""  # valid_files.txt's first line: how they were chosen

    def record(self, train_dir: str) -> None:
        """Writes valid_files.txt (atomically); nothing without a split."""
        if not self.valid:
            return
        from wavegan.config import write_text_atomically

        lines = [f"# {self.header}"] + sorted(os.path.relpath(f.path, self.root) for f in self.valid)
        write_text_atomically(os.path.join(train_dir, VALID_FILES), "\n".join(lines) + "\n")

    def recording(self, train_dir: str, then: Callable[[], None] | None = None) -> Callable[[], None]:
        """A train loop's `on_start`: records the held-out list once training starts, then calls `then`."""
        def start() -> None:
            self.record(train_dir)
            if then is not None:
                then()

        return start


def speaker_of(path: str) -> str | None:
    """The speaker a file name carries (Speech Commands' hash, VCTK's p<number>), or None."""
    name = os.path.basename(path)
    match = SPEECH_COMMANDS_SPEAKER.search(name)
    if match:
        return f"speaker {match.group(1).lower()}"
    speaker = categories.category_or_none(name, "vctk")
    return None if speaker is None else f"speaker p{speaker}"


def group_of(path: str, root: str, group: str) -> str:
    """The unit `path` is held out with (see the module's docstring)."""
    relative = os.path.relpath(path, root)
    if group == "folder":
        return f"folder {os.path.dirname(relative)}"
    if group == "auto":
        speaker = speaker_of(path)
        if speaker is not None:
            return speaker
    return f"file {relative}"


def rank(seed: int, key: str) -> str:
    """A group's place in the seeded order: the hash of (seed, group), independent of the other groups."""
    return hashlib.sha1(f"{seed}\0{key}".encode()).hexdigest()


def held_out_count(fraction: float, groups: int) -> int:
    """fraction · groups rounded half up, at least one and never all of them (0 when there are fewer than two)."""
    if groups < 2:
        return 0
    return min(groups - 1, max(1, int(np.floor(fraction * groups + 0.5))))


def choose_groups(paths: Sequence[str], cfg: DataConfig) -> set[str]:
    """The held-out groups of a fresh --data_valid_fraction split of `paths`."""
    groups = {p: group_of(p, cfg.data_dir, cfg.valid_group) for p in paths}
    by_class: dict[str | None, set[str]] = {}
    if cfg.labels:
        class_of_group: dict[str, set[str | None]] = {}
        for p, g in groups.items():
            class_of_group.setdefault(g, set()).add(categories.category_or_none(p, cfg.labels, cfg.data_dir))
        if all(len(classes) == 1 for classes in class_of_group.values()):  # each group in one class: stratify
            for g, classes in class_of_group.items():
                by_class.setdefault(next(iter(classes)), set()).add(g)
    if not by_class:
        by_class = {None: set(groups.values())}
    chosen = set()
    for members in by_class.values():
        ordered = sorted(members, key=lambda g: rank(cfg.valid_seed, g))
        chosen.update(ordered[:held_out_count(cfg.valid_fraction, len(ordered))])
    if not chosen:
        raise UserError(f"--data_valid_fraction {cfg.valid_fraction} found a single group among the "
                        f"{len(paths)} files under {cfg.data_dir} (--data_valid_group {cfg.valid_group}), so nothing "
                        "can be held out without holding out everything: use --data_valid_group file, or "
                        "--data_valid_dir with a folder split by hand.")
    return chosen


def read_record(train_dir: str) -> list[str] | None:
    """The held-out paths valid_files.txt lists (relative), or None when the run has none yet."""
    path = os.path.join(train_dir, VALID_FILES)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return [line.rstrip("\n") for line in f if line.strip() and not line.startswith("#")]


def split_files(infos: Sequence[audio.AudioFileInfo], cfg: DataConfig, train_dir: str) -> Split:
    """`infos` (the probed files under cfg.data_dir) → the files to train on and the held-out files; the
    split recorded in train_dir (valid_files.txt) is reused. Writes nothing (`Split.record` does)."""
    if not cfg.has_split:
        return Split(list(infos))
    recorded = read_record(train_dir)
    if cfg.valid_dir:
        return _split_by_folder(infos, cfg, recorded)
    relative = {f.path: os.path.relpath(f.path, cfg.data_dir) for f in infos}
    if recorded is None:
        chosen = choose_groups([f.path for f in infos], cfg)
        how = "chosen now"
    else:
        listed = set(recorded)
        chosen = {group_of(f.path, cfg.data_dir, cfg.valid_group) for f in infos if relative[f.path] in listed}
        missing = len(listed - set(relative.values()))
        how = f"as recorded in {os.path.join(train_dir, VALID_FILES)}"
        if missing:
            how += f"; {missing} listed files are gone"
    valid = [f for f in infos if group_of(f.path, cfg.data_dir, cfg.valid_group) in chosen]
    if recorded is not None:
        new = [f for f in valid if relative[f.path] not in set(recorded)]
        if new:
            log.info("%d new files belong to held-out groups and are held out too (e.g. %s).", len(new), new[0].path)
    held = {f.path for f in valid}
    train = [f for f in infos if f.path not in held]
    kinds = {g.split(" ", 1)[0] for g in chosen}
    unit = "files" if kinds == {"file"} else "groups"
    header = (f"held out by --data_valid_fraction {cfg.valid_fraction} --data_valid_seed {cfg.valid_seed} "
              f"--data_valid_group {cfg.valid_group}: {len(valid)} of {len(infos)} files; paths relative to "
              f"--data_dir {cfg.data_dir}")
    log.info("Holding out %d of %d files (%d %s, %s) for validation; training never reads them.",
             len(valid), len(infos), len(chosen), unit, how)
    return _checked(Split(train, valid, cfg.data_dir, header), cfg)


def under(path: str, folder: str) -> bool:
    real, root = os.path.realpath(path), os.path.realpath(folder)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def outside_valid_dir(paths: Sequence[str], cfg: DataConfig) -> list[str]:
    """`paths` without those under --data_valid_dir (none are dropped without one)."""
    return [p for p in paths if not (cfg.valid_dir and under(p, cfg.valid_dir))]


def _split_by_folder(infos: Sequence[audio.AudioFileInfo], cfg: DataConfig, recorded: list[str] | None) -> Split:
    if under(cfg.data_dir, cfg.valid_dir):
        raise UserError(f"--data_dir {cfg.data_dir} lies inside --data_valid_dir {cfg.valid_dir}: give the held-out "
                        "files a folder of their own, beside --data_dir or inside it.")
    train = [f for f in infos if not under(f.path, cfg.valid_dir)]
    if not train:
        raise UserError(f"Every file under --data_dir {cfg.data_dir} lies in --data_valid_dir {cfg.valid_dir}: "
                        "point --data_dir at the training files.")
    valid = audio.probe_audio_files(audio.find_audio_files(cfg.valid_dir, "--data_valid_dir"))
    if not valid:
        raise UserError(f"None of the audio files under --data_valid_dir {cfg.valid_dir} could be read (see the "
                        "warnings above): replace them with valid audio.")
    names = {os.path.relpath(f.path, cfg.valid_dir) for f in valid}
    if recorded is not None and set(recorded) != names:
        log.warning("--data_valid_dir %s holds %d files that valid_files.txt did not list and lacks %d it listed: "
                    "a file moved there from --data_dir was trained on before.", cfg.valid_dir,
                    len(names - set(recorded)), len(set(recorded) - names))
    log.info("Holding out the %d files under --data_valid_dir %s for validation (%d files train).", len(valid),
             cfg.valid_dir, len(train))
    header = f"held out by --data_valid_dir {cfg.valid_dir}: {len(valid)} files; paths relative to it"
    return _checked(Split(train, valid, cfg.valid_dir, header), cfg)


def _checked(split: Split, cfg: DataConfig) -> Split:
    """Both sides must yield slices: training to train, the held-out files to measure on."""
    for name, files in (("the training files", split.train), ("the held-out files", split.valid)):
        if expected_slices_per_epoch([f.frames_at(cfg.sample_rate) for f in files], cfg) < 1.0:
            raise UserError(f"After the validation split, {name} ({len(files)}) yield less than one slice of "
                            f"{cfg.slice_len} samples per pass: hold out another share, or pass --data_first_slice "
                            "--data_pad_end for clips shorter than a slice.")
    return split


def fixed_slices(files: Sequence[audio.AudioFileInfo], cfg: DataConfig, n: int,
                 seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Up to n slices [m, slice_len, channels] of `files` and the index of the file each came from [m]: the
    same ones on every call (files in a seeded order, each framed from its start as the pipeline frames it:
    the first slice only with first_slice, the zero-padded last one with pad_end), decoded with the pipeline's
    decoder. A file that fails to decode is skipped with a warning."""
    order = np.random.default_rng(seed).permutation(len(files))
    slices, sources = [], []
    for index in order:
        if len(slices) >= n:
            break
        info = files[index]
        try:
            samples = audio.decode_audio(info.path, cfg.sample_rate, cfg.num_channels, cfg.normalize)
        except Exception as e:
            log.warning("Skipping %s: it could not be decoded (%s).", info.path, audio.error_summary(e))
            continue
        count = count_slices(len(samples), cfg.slice_len, cfg.hop, cfg.pad_end, cfg.first_slice)
        for k in range(min(count, n - len(slices))):
            piece = samples[k * cfg.hop:k * cfg.hop + cfg.slice_len]
            slices.append(np.pad(piece, [(0, cfg.slice_len - len(piece)), (0, 0)]))
            sources.append(index)
    if not slices:
        return np.zeros((0, cfg.slice_len, cfg.num_channels), np.float32), np.zeros(0, np.int64)
    return np.stack(slices).astype(np.float32), np.asarray(sources)
