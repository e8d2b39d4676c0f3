"""SpecGAN registered as a model kind (pyproject.toml: `specgan = "specgan.kind:KIND"`).

Light to import: the models, the transforms and TensorFlow load only when a mode asks for them.
"""

from __future__ import annotations

from specgan.config import SpecGANConfig
from wavegan import registry
from wavegan.config import RunConfig, data_config, train_config
from wavegan.errors import UserError


def make_run(settings: registry.Settings, train_dir: str) -> RunConfig:
    """train_specgan.py's flag values → the run's config (SpecGAN has no slice-length or channel flags)."""
    model = SpecGANConfig(
        latent_dim=settings.specgan_latent_dim, kernel_len=settings.specgan_kernel_len, dim=settings.specgan_dim,
        batchnorm=settings.specgan_batchnorm, disc_nupdates=settings.specgan_disc_nupdates,
        loss=settings.specgan_loss, genr_upsample=settings.specgan_genr_upsample, ngl=settings.specgan_ngl)
    return RunConfig(model_type="specgan", data=data_config(settings, slice_and_channels=False),
                     train=train_config(settings), model=model.validate())


def gan(train_dir: str):
    from specgan import gan

    return gan.kind_for_run(train_dir)


def gan_for_training(train_dir: str, settings: registry.Settings, chief: bool):
    """The GanKind to train: the moments of --data_moments_fp, or those the train dir already keeps."""
    from specgan import gan

    moments = gan.adopt_moments(train_dir, settings.data_moments_fp, write=False)
    return gan.specgan_kind(moments, settings.specgan_ngl)


def on_train_start(train_dir: str, settings: registry.Settings) -> None:
    """The moments are copied into the train dir only once training starts."""
    from specgan import gan

    gan.adopt_moments(train_dir, settings.data_moments_fp, write=True)


def run_mode(mode: str, train_dir: str, settings: registry.Settings) -> None:
    """`moments`: the dataset's per-frequency moments, written to --data_moments_fp."""
    from specgan import gan
    from wavegan.audio import pipeline

    if not settings.data_moments_fp:
        raise UserError("moments needs --data_moments_fp: where to write the moments (.npz).")
    data = data_config(settings, slice_and_channels=False)
    files = pipeline.prepare_files(data, batch_size=1)
    examples = pipeline.example_dataset(files, data, shuffle=False, repeat=False)
    gan.compute_moments(examples, settings.data_moments_n).save(settings.data_moments_fp)
    print(f"Wrote {settings.data_moments_fp}")


KIND = registry.ModelKind(
    name="specgan", config_class=SpecGANConfig, modes=("moments", *registry.GAN_MODES), make_run=make_run,
    gan=gan, gan_for_training=gan_for_training, on_train_start=on_train_start, run_mode=run_mode)
