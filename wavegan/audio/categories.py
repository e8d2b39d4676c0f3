"""A category per audio file, read from its path: the name before the first "_" of the file name (SC09's
`Seven_0a2b400e_nohash_0.wav`), its folder's name, or a VCTK speaker number (`p225_001.wav` → 225).

Used by the WaveNet's global conditioning (reference §B3), where the names become ids in sorted order, and
by the label-conditional GANs (`wavegan/audio/labels.py`).
"""

from __future__ import annotations

import os
import re
from typing import Sequence

from wavegan.errors import UserError

SOURCES = ("prefix", "folder", "vctk")
VCTK_PATTERN = re.compile(r"p([0-9]+)_([0-9]+)\.wav")  # searched unanchored in the full path, as the original


def category_or_none(path: str, source: str, data_dir: str | None = None) -> str | None:
    """The category a file's path carries, or None where it carries none: no "_" (or nothing before it) in
    the file name for "prefix", a file lying directly in `data_dir` for "folder", no p<speaker>_ for
    "vctk". The WaveNet's global conditioning and the GANs' `--data_labels` both read classes here."""
    if source == "prefix":
        name = os.path.basename(path)
        prefix = name.split("_", 1)[0]
        return prefix if "_" in name and prefix else None
    if source == "folder":
        parent = os.path.dirname(os.path.abspath(path))
        if data_dir is not None and parent == os.path.abspath(data_dir):
            return None
        return os.path.basename(parent)
    if source == "vctk":
        match = VCTK_PATTERN.search(path)
        return str(int(match.group(1))) if match else None
    raise UserError(f"unknown category source {source!r}: one of {SOURCES}.")


def category_of(path: str, source: str) -> str:
    """The category name of one file; raises UserError when the path does not carry one."""
    name = category_or_none(path, source)
    if name is not None:
        return name
    if source == "prefix":
        raise UserError(f"{path} has no '_' in its name, so it has no category prefix such as 'Seven_': "
                        "rename it or use --wavenet_gc_from folder.")
    raise UserError(f"{path} does not match p<speaker>_<utterance>.wav: rename it or choose another "
                    "--wavenet_gc_from.")


def category_names(paths: Sequence[str], source: str) -> list[str]:
    """The sorted distinct categories (VCTK: numerically sorted speaker numbers)."""
    names = {category_of(p, source) for p in paths}
    return sorted(names, key=int) if source == "vctk" else sorted(names)


def category_id(name: str, categories: Sequence[str], source: str) -> int:
    """The id of a category name (or of a number given as text); VCTK ids are the speaker numbers."""
    if source == "vctk":
        if name.isdigit() and int(name) < max(int(c) for c in categories) + 1:
            return int(name)
    elif name in categories:
        return list(categories).index(name)
    elif name.isdigit() and int(name) < len(categories):
        return int(name)
    raise UserError(f"Unknown category {name!r}: this model knows {', '.join(categories)} (or their ids).")
