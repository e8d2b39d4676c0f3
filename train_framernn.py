"""The frame-level GRU baseline (reference §B10): `python train_framernn.py train TRAIN_DIR --data_dir AUDIO`,
then `python train_framernn.py generate TRAIN_DIR --generate_n 64`.

Frames of --framernn_frame_size samples, sequences of --framernn_seq_len frames, two stacked GRUs, MSE on
the next frame; generation continues real seed frames. See README.md and docs/differences.md.
"""

from absl import flags

from framernn.config import UNUSED_SHARED_FLAGS
from wavegan.cli import flags as cli
from wavegan.cli import runner

FLAGS = flags.FLAGS

cli.define_data_flags(slice_and_channels=False)
cli.track(flags.DEFINE_integer, "framernn_frame_size", 800, "Samples per frame, the unit predicted at each step.")
cli.track(flags.DEFINE_integer, "framernn_seq_len", 50, "Frames per training sequence (each predicts the next).")
cli.track(flags.DEFINE_integer, "framernn_units", 256, "Units of each GRU layer.")
cli.track(flags.DEFINE_integer, "framernn_layers", 2, "Stacked GRU layers.")
cli.track(flags.DEFINE_float, "framernn_learning_rate", 1e-3, "Adam's learning rate.")
cli.track(flags.DEFINE_float, "framernn_clipnorm", 1.0, "Gradient norm clipping (0: off).")
cli.define_train_flags()
cli.define_generate_flags()
cli.define_autoregressive_flags()
cli.track(flags.DEFINE_integer, "generate_seed_frames", 2,
          "generate: real frames the model continues (from --generate_wav_seed, else from random training files); "
          "they are cut off the output.")
cli.declare_unused_flags("the frame GRU", UNUSED_SHARED_FLAGS)
FLAGS.set_default("train_batch_size", 128)  # the post's mini-batch


def main() -> None:
    """The `framernn-train` console command (pyproject.toml) and `python train_framernn.py`."""
    runner.run("framernn", __doc__)


if __name__ == "__main__":
    main()
