"""The WaveNet baseline (ibab/tensorflow-wavenet, docs/reference.md (part two)): `python train_wavenet.py train TRAIN_DIR --data_dir AUDIO`,
then `python train_wavenet.py generate TRAIN_DIR --generate_n 64`.

Model settings come from a wavenet_params.json (default: wavenet/wavenet_params.json, the original's);
training flags and defaults are the original's train.py's. See README.md and docs/differences.md.
"""

from absl import flags

from wavegan.cli import flags as cli
from wavegan.cli import runner
from wavenet.config import UNUSED_SHARED_FLAGS

FLAGS = flags.FLAGS

cli.define_data_flags(slice_and_channels=False)
cli.track(flags.DEFINE_string, "wavenet_params", None,
          "JSON of model settings (filter_width, dilations, channels, ...); default wavenet/wavenet_params.json.")
cli.track(flags.DEFINE_integer, "wavenet_sample_size", 100000,
          "Target samples per training piece (each piece also holds a receptive field of context); 0: whole files.")
cli.track(flags.DEFINE_float, "wavenet_silence_threshold", 0.3,
          "Trim leading/trailing audio whose frame RMS is below this; 0 disables trimming.")
cli.track(flags.DEFINE_float, "wavenet_learning_rate", 1e-3, "Learning rate.")
cli.track(flags.DEFINE_enum, "wavenet_optimizer", "adam", ["adam", "sgd", "rmsprop"], "Optimiser.")
cli.track(flags.DEFINE_float, "wavenet_momentum", 0.9, "Momentum of sgd and rmsprop.")
cli.track(flags.DEFINE_float, "wavenet_l2_regularization_strength", 0.0, "L2 weight decay λ (0: off).")
cli.track(flags.DEFINE_integer, "wavenet_gc_channels", 0,
          "Global conditioning embedding size (0: off); one category per file, see --wavenet_gc_from.")
cli.track(flags.DEFINE_enum, "wavenet_gc_from", "prefix", ["prefix", "folder", "vctk"],
          "Category of a file: its name up to the first '_' (SC09: Seven_...), its folder, or VCTK's p<speaker>_.")
cli.define_train_flags()
cli.define_generate_flags()
cli.define_autoregressive_flags()
cli.track(flags.DEFINE_float, "generate_temperature", 1.0, "generate: softmax temperature (0: always the likeliest class).")
cli.track(flags.DEFINE_boolean, "generate_fast", True,
          "generate: the fast algorithm (per-layer caches); --nogenerate_fast recomputes the receptive field per sample.")
cli.track(flags.DEFINE_string, "generate_category", None,
          "generate: the category (name or id) of every clip; default: all categories in turn.")
cli.track(flags.DEFINE_boolean, "generate_keep_seed", False,
          "generate: keep the context (seed or silence) at the start of each file, as the original did.")
cli.declare_unused_flags("the WaveNet", UNUSED_SHARED_FLAGS)
# The original's defaults: one piece per step, 100000 steps, no peak normalisation (librosa.load).
FLAGS.set_default("train_batch_size", 1)
FLAGS.set_default("train_max_steps", 100000)
FLAGS.set_default("data_normalize", False)


def main() -> None:
    """The `wavenet-train` console command (pyproject.toml) and `python train_wavenet.py`."""
    runner.run("wavenet", __doc__)


if __name__ == "__main__":
    main()
