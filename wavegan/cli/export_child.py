"""The process SubprocessExporter starts under the JAX backend: `python -m wavegan.cli.export_child TRAIN_DIR
CHECKPOINT EXPORT_DIR [PRECISION]` rebuilds the run's generator on TensorFlow and writes its SavedModel. An entry
point, so it sits with the CLI, above the export and checkpoint code it uses."""

from __future__ import annotations

import sys

from wavegan.errors import StorageError
from wavegan.serve.export import STORAGE_FAULT_STATUS, export_checkpoint
from wavegan.serve.generate import gan_of_run
from wavegan.train import checkpoints


def export_from_checkpoint(train_dir: str, checkpoint: str, export_dir: str, precision: str = "float32") -> str:
    """The infer mode's export: the run's generator rebuilt from config.json, weights from `checkpoint`."""
    kind = gan_of_run(train_dir)
    generator, run, step = checkpoints.load_generator(train_dir, kind.build_generator, checkpoint)
    return export_checkpoint(generator, run, step, export_dir, kind, precision)


if __name__ == "__main__":
    try:
        export_from_checkpoint(*sys.argv[1:5])
    except StorageError as e:  # the trainer stops on it (SubprocessExporter.wait): its one sentence, last
        sys.stderr.write(f"error: {e.fault}\n")
        sys.exit(STORAGE_FAULT_STATUS)
