"""Where the files that ship beside the code are, in a checkout and in an installed copy.

In a checkout the bundled drum corpus is `data/drums` and the browser page is `web/` (with `web/page` and
onnxruntime-web's npm lock file); the repository root is also where the top-level packages (`eval`,
`wavenet`, ...) sit. `pip install .` copies those two folders into the `wavegan` package as
`wavegan/bundled/drums` and `wavegan/bundled/web` (pyproject.toml, `[tool.setuptools.package-dir]`), and
puts the other packages beside `wavegan` in site-packages, so `ROOT` plays the repository root's part there.
An installed copy is recognised by its bundled folder; a checkout (also one installed with `pip install -e .`)
has none and reads the repository's own files. Nothing here imports TensorFlow or Keras.
"""

from __future__ import annotations

import os

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
# The repository root in a checkout; site-packages in an installed copy (where eval/, wavenet/, ... are too).
ROOT = os.path.dirname(PACKAGE_DIR)
BUNDLED_DIR = os.path.join(PACKAGE_DIR, "bundled")


def _shipped(checkout_path: str, bundled_name: str) -> str:
    installed = os.path.join(BUNDLED_DIR, bundled_name)
    return installed if os.path.isdir(installed) else os.path.join(ROOT, checkout_path)


# The corpus a run trains on when no --data_dir is given (64 drum one-shots; data/drums/LICENSE.md).
DRUM_CORPUS = _shipped("data/drums", "drums")
# The drum-machine page (page/) and the npm files that pin onnxruntime-web (package.json, package-lock.json);
# `npm ci --prefix WEB_SOURCE` installs the runtime into WEB_SOURCE/node_modules, in a checkout or not.
WEB_SOURCE = _shipped("web", "web")
# The digit classifier `incept` and `eval.score` use by default (python -m eval.train_classifier wrote it).
DIGITS_CLASSIFIER = os.path.join(ROOT, "eval", "digits_classifier.keras")
# Where an untrained WaveGAN (d = 64) puts its checkerboard tones (python -m eval.artifacts envelope made it).
ARTIFACT_ENVELOPE = os.path.join(ROOT, "eval", "artifact_envelope.npy")
