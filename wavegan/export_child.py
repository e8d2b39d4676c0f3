"""The process SubprocessExporter starts under the JAX backend: `python -m wavegan.export_child TRAIN_DIR
CHECKPOINT EXPORT_DIR [PRECISION]` rebuilds the run's generator on TensorFlow and writes its SavedModel. It sits above
export, training and cli, which it uses, so none of them imports back."""

from __future__ import annotations

import sys

from wavegan import checkpoints, cli, training


def export_from_checkpoint(train_dir: str, checkpoint: str, export_dir: str, precision: str = "float32") -> str:
    """The infer mode's export: the run's generator rebuilt from config.json, weights from `checkpoint`."""
    kind = cli.kind_for_train_dir(train_dir)
    generator, run, step = checkpoints.load_generator(train_dir, kind.build_generator, checkpoint)
    return training.export_checkpoint(generator, run, step, export_dir, kind, precision)


if __name__ == "__main__":
    export_from_checkpoint(*sys.argv[1:5])
