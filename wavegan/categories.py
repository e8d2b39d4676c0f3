"""A category per audio file, read from its path: the name before the first "_" of the file name (SC09's
`Seven_0a2b400e_nohash_0.wav`), its folder's name, or a VCTK speaker number (`p225_001.wav` → 225).

Used by the WaveNet's global conditioning (BASELINES.md §3); the names become ids in sorted order.
"""

from __future__ import annotations

import os
import re
from typing import Sequence

from wavegan.errors import UserError

SOURCES = ("prefix", "folder", "vctk")
VCTK_PATTERN = re.compile(r"p([0-9]+)_([0-9]+)\.wav")  # searched unanchored in the full path, as the original


def category_of(path: str, source: str) -> str:
    """The category name of one file; raises UserError when the path does not carry one."""
    if source == "prefix":
        name = os.path.basename(path)
        if "_" not in name:
            raise UserError(f"{path} has no '_' in its name, so it has no category prefix such as 'Seven_': "
                            "rename it or use --wavenet_gc_from folder.")
        return name.split("_", 1)[0]
    if source == "folder":
        return os.path.basename(os.path.dirname(os.path.abspath(path)))
    if source == "vctk":
        match = VCTK_PATTERN.search(path)
        if not match:
            raise UserError(f"{path} does not match p<speaker>_<utterance>.wav: rename it or choose another "
                            "--wavenet_gc_from.")
        return str(int(match.group(1)))
    raise UserError(f"unknown category source {source!r}: one of {SOURCES}.")


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
