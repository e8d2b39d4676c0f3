"""SpecGAN (Donahue et al., ICLR 2019): `python train_specgan.py moments TRAIN_DIR --data_dir AUDIO --data_moments_fp
moments.npz`, then `python train_specgan.py train TRAIN_DIR --data_dir AUDIO --data_moments_fp moments.npz`.

Flag names and defaults are the original's; see README.md and docs/differences.md.
"""

from absl import flags

from wavegan.cli import flags as cli
from wavegan.cli import runner

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


def main() -> None:
    """The `specgan-train` console command (pyproject.toml) and `python train_specgan.py`."""
    runner.run("specgan", __doc__)


if __name__ == "__main__":
    main()
