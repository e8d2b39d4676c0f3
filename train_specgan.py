"""SpecGAN (Donahue et al., ICLR 2019): `python train_specgan.py moments TRAIN_DIR --data_dir AUDIO --data_moments_fp
moments.npz`, then `python train_specgan.py train TRAIN_DIR --data_dir AUDIO --data_moments_fp moments.npz`.

Flag names and defaults are the original's; see README.md and docs/differences.md.
"""

from absl import app, flags

from wavegan import cli

MODES = ("moments", "train", "preview", "incept", "infer", "generate", "web")
FLAGS = flags.FLAGS

cli.define_data_flags(slice_and_channels=False)
cli.track(flags.DEFINE_string, "data_moments_fp", None,
          "Dataset moments (.npz): written by the moments mode, read by train (then kept in TRAIN_DIR).")
cli.track(flags.DEFINE_integer, "data_moments_n", None,
          "moments: use only the first N slices (default: one pass over all of them).")
cli.track(flags.DEFINE_integer, "specgan_latent_dim", 100, "Size of the latent vector z.")
cli.track(flags.DEFINE_integer, "specgan_kernel_len", 5, "Side of the square convolution kernels (G and D).")
cli.track(flags.DEFINE_integer, "specgan_dim", 64, "Channel multiplier d.")
cli.track(flags.DEFINE_boolean, "specgan_batchnorm", False, "Batch normalisation in G and D.")
cli.track(flags.DEFINE_integer, "specgan_disc_nupdates", 5, "Critic updates per generator update.")
cli.track(flags.DEFINE_enum, "specgan_loss", "wgan-gp", ["dcgan", "lsgan", "wgan", "wgan-gp"], "Adversarial loss.")
cli.track(flags.DEFINE_enum, "specgan_genr_upsample", "zeros", ["zeros", "nn", "lin", "cub"],
          "Generator upsampling: transposed convolution (zeros) or nearest/bilinear/bicubic resize + convolution.")
cli.track(flags.DEFINE_integer, "specgan_ngl", 16, "Griffin-Lim iterations when turning spectrograms into audio.")
cli.define_train_flags()
cli.define_after_training_flags()


@cli.report_user_errors
def main(argv):
    cli.setup_logging()
    mode, train_dir = cli.parse_positionals(argv, MODES)
    from specgan import gan as specgan_gan  # after flag parsing: TensorFlow loads here
    from specgan.config import SpecGANConfig
    from wavegan import config, data
    from wavegan.errors import UserError

    if mode in ("preview", "incept", "infer", "generate", "web"):
        cli.run_after_training_mode(mode, train_dir, specgan_gan.kind_for_run)
        return
    data_cfg = cli.data_config_from_flags(slice_and_channels=False)
    if mode == "moments":
        if not FLAGS.data_moments_fp:
            raise UserError("moments needs --data_moments_fp: where to write the moments (.npz).")
        files = data.prepare_files(data_cfg, batch_size=1)
        examples = data.example_dataset(files, data_cfg, shuffle=False, repeat=False)
        specgan_gan.compute_moments(examples, FLAGS.data_moments_n).save(FLAGS.data_moments_fp)
        print(f"Wrote {FLAGS.data_moments_fp}")
        return
    run = config.RunConfig(
        model_type="specgan", data=data_cfg, train=cli.train_config_from_flags(),
        model=SpecGANConfig(
            latent_dim=FLAGS.specgan_latent_dim, kernel_len=FLAGS.specgan_kernel_len, dim=FLAGS.specgan_dim,
            batchnorm=FLAGS.specgan_batchnorm, disc_nupdates=FLAGS.specgan_disc_nupdates, loss=FLAGS.specgan_loss,
            genr_upsample=FLAGS.specgan_genr_upsample, ngl=FLAGS.specgan_ngl).validate())

    def make_kind(chief: bool):
        moments = specgan_gan.adopt_moments(train_dir, FLAGS.data_moments_fp, write=chief)
        return specgan_gan.specgan_kind(moments, run.model.ngl)

    cli.run_train_mode(train_dir, run, make_kind)


if __name__ == "__main__":
    cli.quiet_tensorflow()
    app.run(main)
