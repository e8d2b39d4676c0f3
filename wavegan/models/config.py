"""WaveGAN's model and adversarial-loss settings (reference §2.1 "WaveGAN", §3, §5), config.json's "model"."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from wavegan.config import UPSAMPLES, DataConfig, GanConfig, class_kwargs
from wavegan.errors import UserError


@dataclasses.dataclass
class WaveGANConfig(GanConfig):
    """Model and adversarial-loss settings (reference §2.1 "WaveGAN", §3, §5)."""

    PREFIX: ClassVar[str] = "wavegan"
    UPSAMPLES: ClassVar[tuple[str, ...]] = UPSAMPLES

    genr_pp: bool = False
    genr_pp_len: int = 512
    disc_phaseshuffle: int = 2

    def validate(self) -> "WaveGANConfig":
        super().validate()
        if self.genr_pp_len < 1:
            raise UserError(f"--wavegan_genr_pp_len must be at least 1, not {self.genr_pp_len}.")
        if self.disc_phaseshuffle < 0:
            raise UserError(f"--wavegan_disc_phaseshuffle must be 0 (off) or more, not {self.disc_phaseshuffle}.")
        return self

    def generator_kwargs(self, data: DataConfig) -> dict[str, Any]:
        return dict(latent_dim=self.latent_dim, slice_len=data.slice_len, num_channels=data.num_channels,
                    dim=self.dim, kernel_len=self.kernel_len, upsample=self.genr_upsample,
                    batchnorm=self.batchnorm, post_proc_filter=self.genr_pp, post_proc_len=self.genr_pp_len,
                    **class_kwargs(data))

    def discriminator_kwargs(self, data: DataConfig) -> dict[str, Any]:
        return dict(slice_len=data.slice_len, num_channels=data.num_channels, dim=self.dim,
                    kernel_len=self.kernel_len, batchnorm=self.batchnorm,
                    phaseshuffle_rad=self.disc_phaseshuffle, **class_kwargs(data))
