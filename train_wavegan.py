"""WaveGAN (Donahue et al., ICLR 2019): `python train_wavegan.py train TRAIN_DIR --data_dir AUDIO_DIR`.

Flag names and defaults are the original's; see README.md and docs/differences.md.
"""

from absl import app, flags

from wavegan import cli

MODES = ("train", "preview", "incept", "infer", "generate", "web")
FLAGS = flags.FLAGS

cli.define_data_flags()
cli.track(flags.DEFINE_integer, "wavegan_latent_dim", 100, "Size of the latent vector z.")
cli.track(flags.DEFINE_integer, "wavegan_kernel_len", 25, "Length of every 1-D convolution kernel (G and D).")
cli.track(flags.DEFINE_integer, "wavegan_dim", 64, "Channel multiplier d.")
cli.track(flags.DEFINE_boolean, "wavegan_batchnorm", False, "Batch normalisation in G and D.")
cli.track(flags.DEFINE_integer, "wavegan_disc_nupdates", 5, "Critic updates per generator update.")
cli.track(flags.DEFINE_enum, "wavegan_loss", "wgan-gp", ["dcgan", "lsgan", "wgan", "wgan-gp"], "Adversarial loss.")
cli.track(flags.DEFINE_enum, "wavegan_genr_upsample", "zeros", ["zeros", "nn"],
          "Generator upsampling: transposed convolution (zeros) or nearest neighbour + convolution (nn).")
cli.track(flags.DEFINE_boolean, "wavegan_genr_pp", False, "Learned post-processing FIR filter after the generator.")
cli.track(flags.DEFINE_integer, "wavegan_genr_pp_len", 512, "Taps of the post-processing filter.")
cli.track(flags.DEFINE_integer, "wavegan_disc_phaseshuffle", 2, "Phase shuffle radius in the critic (0: off).")
cli.define_train_flags()
cli.define_after_training_flags()


@cli.report_user_errors
def main(argv):
    cli.setup_logging()
    mode, train_dir = cli.parse_positionals(argv, MODES)
    from wavegan import config, gan  # after flag parsing: TensorFlow loads here

    if mode != "train":
        cli.run_after_training_mode(mode, train_dir, lambda run_dir: cli.checked_kind(run_dir, gan.wavegan_kind()))
        return

    run = config.RunConfig(
        model_type="wavegan", data=cli.data_config_from_flags(), train=cli.train_config_from_flags(),
        model=config.WaveGANConfig(
            latent_dim=FLAGS.wavegan_latent_dim, kernel_len=FLAGS.wavegan_kernel_len, dim=FLAGS.wavegan_dim,
            batchnorm=FLAGS.wavegan_batchnorm, disc_nupdates=FLAGS.wavegan_disc_nupdates,
            loss=FLAGS.wavegan_loss, genr_upsample=FLAGS.wavegan_genr_upsample, genr_pp=FLAGS.wavegan_genr_pp,
            genr_pp_len=FLAGS.wavegan_genr_pp_len, disc_phaseshuffle=FLAGS.wavegan_disc_phaseshuffle).validate())
    cli.run_train_mode(train_dir, run, lambda chief: gan.wavegan_kind())


if __name__ == "__main__":
    cli.quiet_tensorflow()
    app.run(main)
