"""SpecGAN's model settings (reference §2.2 "SpecGAN"), registered so config.json files of SpecGAN runs load."""

from __future__ import annotations

import dataclasses
from typing import Any

from wavegan.config import DataConfig, class_kwargs, validate_gan_config
from wavegan.errors import UserError

SPECGAN_UPSAMPLES = ("zeros", "nn", "lin", "cub")


@dataclasses.dataclass
class SpecGANConfig:
    latent_dim: int = 100
    kernel_len: int = 5
    dim: int = 64
    batchnorm: bool = False
    disc_nupdates: int = 5
    loss: str = "wgan-gp"
    genr_upsample: str = "zeros"
    ngl: int = 16

    def validate(self) -> "SpecGANConfig":
        validate_gan_config(self, "specgan", SPECGAN_UPSAMPLES)
        if self.ngl < 0:
            raise UserError(f"--specgan_ngl must be 0 or more, not {self.ngl}.")
        return self

    def generator_kwargs(self, data: DataConfig) -> dict[str, Any]:
        return dict(latent_dim=self.latent_dim, dim=self.dim, kernel_len=self.kernel_len,
                    upsample=self.genr_upsample, batchnorm=self.batchnorm, **class_kwargs(data))

    def discriminator_kwargs(self, data: DataConfig) -> dict[str, Any]:
        return dict(dim=self.dim, kernel_len=self.kernel_len, batchnorm=self.batchnorm, **class_kwargs(data))
