"""The model kinds this installation knows: each model package registers one `ModelKind`, found by name.

A package registers itself with one line in `pyproject.toml`, under the entry-point group `wavegan.models`:

    [project.entry-points."wavegan.models"]
    specgan = "specgan.kind:KIND"

The CLI, the config loader, `eval.score` and `incept` look kinds up here and import no model package by
name: adding a model is one package with a `kind.py` plus that one line. From an installed copy the entry
points come from the package metadata; from a checkout that was never installed, the same table is read
from the checkout's `pyproject.toml`. A kind's module is imported only when that kind is asked for, so
running the WaveNet loads none of WaveGAN's modules. Nothing here imports TensorFlow or Keras.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import importlib.metadata
import os
import types
from typing import Any, Callable

from wavegan.errors import UserError

GROUP = "wavegan.models"
PYPROJECT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "pyproject.toml")

# The modes every GAN has; `cli.modes` runs them from what `ModelKind.gan` builds.
GAN_MODES = ("train", "preview", "incept", "infer", "generate", "web")

# A script's flag values, read once at the edge (wavegan.cli.runner): one attribute per flag, and `given`,
# the names of those set on the command line.
Settings = types.SimpleNamespace


@dataclasses.dataclass(frozen=True)
class ModelKind:
    """What a model package tells the shared machinery about itself.

    `config_class` is the dataclass of config.json's "model" section. `make_run(settings, train_dir)` turns the
    script's flag values into the run's `RunConfig` (the train mode). A GAN gives `gan(train_dir)`, the `GanKind` of an
    existing run (the after-training modes and the evaluation build its generator from it), and
    `gan_for_training(train_dir, settings, chief)`, the one to train (without writing anything);
    `on_train_start(train_dir, settings)` writes the package's own files once training really starts. A
    likelihood baseline gives `train(train_dir, run, on_start)` instead, and `clips_for_scoring(source, n,
    seed)` for `eval.score`. `run_mode(mode, train_dir, settings)` runs the modes the package has beyond the
    shared ones (SpecGAN's moments; the baselines' generate and infer).
    """

    name: str
    config_class: type
    modes: tuple[str, ...]
    make_run: Callable[[Settings, str], Any]
    gan: Callable[[str], Any] | None = None
    gan_for_training: Callable[[str, Settings, bool], Any] | None = None
    on_train_start: Callable[[str, Settings], None] | None = None
    train: Callable[[str, Any, Callable[[], None]], int] | None = None
    run_mode: Callable[[str, str, Settings], None] | None = None
    clips_for_scoring: Callable[[str, int, int], Any] | None = None

    @property
    def script(self) -> str:
        return f"train_{self.name}.py"


def _pyproject_entry_points() -> dict[str, str]:
    """`name = "module:attribute"` lines of the entry-point table in the checkout's pyproject.toml."""
    if not os.path.exists(PYPROJECT):
        return {}
    import tomllib

    with open(PYPROJECT, "rb") as f:
        table = tomllib.load(f)
    return dict(table.get("project", {}).get("entry-points", {}).get(GROUP, {}))


@functools.lru_cache(maxsize=None)
def _entry_points() -> dict[str, str]:
    points = {ep.name: ep.value for ep in importlib.metadata.entry_points(group=GROUP)}
    points.update(_pyproject_entry_points())  # the checkout's own table wins over a stale installed copy
    return points


def names() -> list[str]:
    """Every registered kind's name, without importing any model package."""
    return sorted(_entry_points())


@functools.lru_cache(maxsize=None)
def get(name: str) -> ModelKind:
    """The kind registered as `name`; imports its package's kind module (and nothing else of it)."""
    target = _entry_points().get(name)
    if target is None:
        raise UserError(f"No model kind {name!r} is registered (known: {', '.join(names()) or 'none'}); "
                        f"a model package registers itself under [project.entry-points.\"{GROUP}\"] in pyproject.toml.")
    module, _, attribute = target.partition(":")
    kind = getattr(importlib.import_module(module), attribute)
    if not isinstance(kind, ModelKind) or kind.name != name:
        raise TypeError(f"{target} is not the ModelKind {name!r}")
    return kind
