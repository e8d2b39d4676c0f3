"""The WaveNet baseline (ibab/tensorflow-wavenet, BASELINES.md): `python train_wavenet.py train TRAIN_DIR --data_dir AUDIO`,
then `python train_wavenet.py generate TRAIN_DIR --generate_n 64`.

Model settings come from a wavenet_params.json (default: wavenet/wavenet_params.json, the original's);
training flags and defaults are the original's train.py's. See README.md and docs/differences.md.
"""

import dataclasses
import os

from absl import app, flags

from wavegan import cli
from wavenet.config import UNUSED_SHARED_FLAGS

MODES = ("train", "generate", "infer")
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


@cli.report_user_errors
def main(argv):
    cli.setup_logging()
    mode, train_dir = cli.parse_positionals(argv, MODES)
    from wavegan import config  # after flag parsing: TensorFlow loads here
    from wavegan.errors import UserError
    from wavenet import run as wavenet_run
    from wavenet.config import DEFAULT_PARAMS, WaveNetConfig, read_params

    if mode == "generate":
        wavenet_run.generate(FLAGS.generate_from or train_dir, FLAGS.generate_dir, FLAGS.generate_n,
                             FLAGS.generate_samples, FLAGS.generate_temperature, FLAGS.generate_seed,
                             FLAGS.generate_wav_seed, FLAGS.generate_category, FLAGS.generate_fast,
                             FLAGS.generate_batch_size, FLAGS.generate_keep_seed)
        return
    if mode == "infer":
        from wavenet.export import export

        print(f"Exported to {export(train_dir, FLAGS.infer_ckpt, FLAGS.infer_dir)}")
        return
    params = read_params(FLAGS.wavenet_params or DEFAULT_PARAMS)
    sample_rate = params.pop("sample_rate", None)
    data_cfg = cli.data_config_from_flags(slice_and_channels=False)
    if sample_rate and not FLAGS["data_sample_rate"].present:
        data_cfg = dataclasses.replace(data_cfg, sample_rate=int(sample_rate))
    train_cfg = cli.train_config_from_flags()
    if train_cfg.precision != "float32" or train_cfg.strategy != "auto":
        raise UserError("The WaveNet trains in float32 on one device: drop --train_precision and --train_strategy.")
    model_cfg = WaveNetConfig(
        **params, gc_channels=FLAGS.wavenet_gc_channels, gc_source=FLAGS.wavenet_gc_from,
        sample_size=FLAGS.wavenet_sample_size, silence_threshold=FLAGS.wavenet_silence_threshold,
        learning_rate=FLAGS.wavenet_learning_rate, optimizer=FLAGS.wavenet_optimizer,
        momentum=FLAGS.wavenet_momentum,
        l2_regularization_strength=FLAGS.wavenet_l2_regularization_strength).validate()
    run = config.RunConfig(model_type="wavenet", data=data_cfg, model=model_cfg, train=train_cfg)
    if os.path.exists(os.path.join(train_dir, config.CONFIG_FILE)):
        run.model.gc_categories = config.load_run_config(train_dir, "wavenet").model.gc_categories
    os.makedirs(train_dir, exist_ok=True)
    config.write_args_txt(train_dir, {"mode": "train", "train_dir": train_dir, **cli.flag_values()})
    wavenet_run.train(train_dir, run)


if __name__ == "__main__":
    cli.quiet_tensorflow()
    app.run(main)
