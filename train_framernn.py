"""The frame-level GRU baseline (BASELINES.md §10): `python train_framernn.py train TRAIN_DIR --data_dir AUDIO`,
then `python train_framernn.py generate TRAIN_DIR --generate_n 64`.

Frames of --framernn_frame_size samples, sequences of --framernn_seq_len frames, two stacked GRUs, MSE on
the next frame; generation continues real seed frames. See README.md and docs/differences.md.
"""

import os

from absl import app, flags

from framernn.config import UNUSED_SHARED_FLAGS
from wavegan import cli

MODES = ("train", "generate", "infer")
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


@cli.report_user_errors
def main(argv):
    cli.setup_logging()
    mode, train_dir = cli.parse_positionals(argv, MODES)
    from framernn import run as framernn_run  # after flag parsing: TensorFlow loads here
    from framernn.config import FrameRNNConfig
    from wavegan import config
    from wavegan.errors import UserError

    if mode == "generate":
        framernn_run.generate(FLAGS.generate_from or train_dir, FLAGS.generate_dir, FLAGS.generate_n,
                              FLAGS.generate_samples, FLAGS.generate_seed, FLAGS.generate_seed_frames,
                              FLAGS.generate_wav_seed, FLAGS.generate_batch_size)
        return
    if mode == "infer":
        from framernn.export import export

        print(f"Exported to {export(train_dir, FLAGS.infer_ckpt, FLAGS.infer_dir)}")
        return
    train_cfg = cli.train_config_from_flags()
    if train_cfg.precision != "float32" or train_cfg.strategy != "auto":
        raise UserError("The frame GRU trains in float32 on one device: drop --train_precision and --train_strategy.")
    model_cfg = FrameRNNConfig(frame_size=FLAGS.framernn_frame_size, seq_len=FLAGS.framernn_seq_len,
                               units=FLAGS.framernn_units, layers=FLAGS.framernn_layers,
                               learning_rate=FLAGS.framernn_learning_rate, clipnorm=FLAGS.framernn_clipnorm).validate()
    run = config.RunConfig(model_type="framernn", data=cli.data_config_from_flags(slice_and_channels=False),
                           model=model_cfg, train=train_cfg)
    os.makedirs(train_dir, exist_ok=True)
    config.write_args_txt(train_dir, {"mode": "train", "train_dir": train_dir, **cli.flag_values()})
    framernn_run.train(train_dir, run)


if __name__ == "__main__":
    cli.quiet_tensorflow()
    app.run(main)
