"""The JAX backend's side of the cross-backend checkpoint test (tests/train/test_checkpoints.py), in a
process of its own (the backend is chosen at import):

    KERAS_BACKEND=jax python tests/train/jax_checkpoint_run.py CHECKPOINT OUT_DIR

Restores CHECKPOINT (written by TensorFlow) into a tiny trainer, dumps every value it restored to
OUT_DIR/restored.npz, then adds 1 to every float variable and 7 to both step counters and saves that as
OUT_DIR/model.ckpt-<step> for TensorFlow to read back.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from wavegan.train import checkpoints
from wavegan.train import losses  # noqa: E402
from wavegan.models import WaveGANDiscriminator, WaveGANGenerator  # noqa: E402
from wavegan.train.trainer import AdversarialTrainer  # noqa: E402


def tiny_trainer() -> AdversarialTrainer:
    """The same trainer on either backend: named models, so their variable paths match."""
    trainer = AdversarialTrainer(WaveGANGenerator(dim=2, name="G"), WaveGANDiscriminator(dim=2, name="D"),
                                 latent_dim=100, disc_nupdates=1)
    trainer.compile(losses.make_optimizer("wgan-gp"), losses.make_optimizer("wgan-gp"), "wgan-gp")
    trainer.build_for_training((16384, 1))
    return trainer


def parts(trainer: AdversarialTrainer) -> dict:
    return dict(generator=trainer.generator, discriminator=trainer.discriminator,
                g_optimizer=trainer.g_optimizer, d_optimizer=trainer.d_optimizer)


def values(trainer: AdversarialTrainer) -> dict[str, np.ndarray]:
    """Every checkpointed value: models by path, optimisers by position in `optimizer.variables`."""
    out = {}
    for name, part in parts(trainer).items():
        variables = (checkpoints.variables_by_path(part).items() if isinstance(part, keras.Model)
                     else ((str(i), v) for i, v in enumerate(part.variables)))
        out.update({f"{name}/{key}": keras.ops.convert_to_numpy(v.value) for key, v in variables})
    return out


if __name__ == "__main__":
    assert keras.backend.backend() == "jax", "run with KERAS_BACKEND=jax"
    checkpoint, out_dir = sys.argv[1:3]
    trainer = tiny_trainer()
    checkpoints.model_checkpoint(**parts(trainer)).restore(checkpoint).assert_existing_objects_matched()
    np.savez(os.path.join(out_dir, "restored.npz"), **values(trainer))
    for name, part in parts(trainer).items():
        for v in part.variables:
            if "seed_generator" not in v.path:
                v.assign(v.value + (1 if "float" in str(v.dtype) else 0))
    for optimizer in (trainer.g_optimizer, trainer.d_optimizer):
        optimizer.iterations.assign(optimizer.iterations.value + 7)
    step = int(trainer.step.numpy())
    print(checkpoints.make_manager(out_dir, **parts(trainer)).save(checkpoint_number=step))
