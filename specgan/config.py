"""SpecGAN's model settings (reference §2.2 "SpecGAN"), registered so config.json files of SpecGAN runs load."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from wavegan.config import DataConfig, GanConfig, class_kwargs
from wavegan.errors import UserError

SPECGAN_UPSAMPLES = ("zeros", "nn", "lin", "cub")


@dataclasses.dataclass
class SpecGANConfig(GanConfig):
    PREFIX: ClassVar[str] = "specgan"
    UPSAMPLES: ClassVar[tuple[str, ...]] = SPECGAN_UPSAMPLES

    kernel_len: int = 5  # square kernels (reference §4.4)
    ngl: int = 16

    def validate(self) -> "SpecGANConfig":
        super().validate()
        if self.ngl < 0:
            raise UserError(f"--specgan_ngl must be 0 or more, not {self.ngl}.")
        return self

    def generator_kwargs(self, data: DataConfig) -> dict[str, Any]:
        return dict(latent_dim=self.latent_dim, dim=self.dim, kernel_len=self.kernel_len,
                    upsample=self.genr_upsample, batchnorm=self.batchnorm, **class_kwargs(data))

    def discriminator_kwargs(self, data: DataConfig) -> dict[str, Any]:
        return dict(dim=self.dim, kernel_len=self.kernel_len, batchnorm=self.batchnorm, **class_kwargs(data))
