"""WaveGAN registered as a model kind (pyproject.toml: `wavegan = "wavegan.models.kind:KIND"`).

Light to import: the models, the trainer and TensorFlow load only when a mode asks for them.
"""

from __future__ import annotations

from wavegan import registry
from wavegan.config import RunConfig, data_config, train_config
from wavegan.models.config import WaveGANConfig


def wavegan_gan(train_dir: str | None = None):
    """WaveGAN's GanKind: audio in, audio out. The same for every run, so train_dir is not read."""
    from wavegan.models import WaveGANDiscriminator, WaveGANGenerator
    from wavegan.train.kind import GanKind

    return GanKind(
        name="wavegan",
        build_generator=lambda run: WaveGANGenerator(**run.model.generator_kwargs(run.data), name="G"),
        build_discriminator=lambda run: WaveGANDiscriminator(**run.model.discriminator_kwargs(run.data), name="D"),
        critic_input_shape=lambda run: (run.data.slice_len, run.data.num_channels))


def make_run(settings: registry.Settings, train_dir: str) -> RunConfig:
    """train_wavegan.py's flag values → the run's config."""
    model = WaveGANConfig(
        latent_dim=settings.wavegan_latent_dim, kernel_len=settings.wavegan_kernel_len, dim=settings.wavegan_dim,
        batchnorm=settings.wavegan_batchnorm, disc_nupdates=settings.wavegan_disc_nupdates,
        loss=settings.wavegan_loss, genr_upsample=settings.wavegan_genr_upsample, genr_pp=settings.wavegan_genr_pp,
        genr_pp_len=settings.wavegan_genr_pp_len, disc_phaseshuffle=settings.wavegan_disc_phaseshuffle)
    return RunConfig(model_type="wavegan", data=data_config(settings), train=train_config(settings),
                     model=model.validate())


KIND = registry.ModelKind(
    name="wavegan", config_class=WaveGANConfig, modes=registry.GAN_MODES, make_run=make_run, gan=wavegan_gan,
    gan_for_training=lambda train_dir, settings, chief: wavegan_gan())
