"""WaveGAN (Donahue et al., ICLR 2019): `python train_wavegan.py train TRAIN_DIR --data_dir AUDIO_DIR`.

Flag names and defaults are the original's; see README.md and docs/differences.md.
"""

from absl import flags

from wavegan.cli import flags as cli
from wavegan.cli import runner

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


def main() -> None:
    """The `wavegan-train` console command (pyproject.toml) and `python train_wavegan.py`."""
    runner.run("wavegan", __doc__)


if __name__ == "__main__":
    main()
