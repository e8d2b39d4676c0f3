"""Runs a script or a scenario with the CPU split into N logical devices (tf.distribute tests).

    python tests/with_cpus.py 2 train_wavegan.py train DIR --train_strategy mirrored ...
    python tests/with_cpus.py 2 --equivalence '{"loss": "wgan-gp", ...}'   # prints one JSON line

The split has to happen before TensorFlow initialises its devices, hence a process of its own.
"""

import json
import os
import runpy
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402


def split_cpu(n: int) -> None:
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * n)


def equivalence(options: dict) -> dict:
    """One iteration on 1 replica and on every logical CPU, same global batch, weights and seeds:
    the largest differences of the updated weights and of the logged losses."""
    import numpy as np

    from wavegan.train import losses
    from wavegan.models import WaveGANDiscriminator, WaveGANGenerator
    from wavegan.train.trainer import AdversarialTrainer

    batch, nupdates, loss = options.get("batch", 4), options.get("nupdates", 2), options.get("loss", "wgan-gp")
    shuffle, dim = options.get("phaseshuffle", 2), options.get("dim", 4)

    def build():
        g = WaveGANGenerator(dim=dim, batchnorm=options.get("batchnorm", False))
        d = WaveGANDiscriminator(dim=dim, phaseshuffle_rad=shuffle, batchnorm=options.get("batchnorm", False))
        trainer = AdversarialTrainer(g, d, latent_dim=100, disc_nupdates=nupdates, seed=0)
        trainer.compile(losses.make_optimizer(loss), losses.make_optimizer(loss), loss, jit_compile=False)
        trainer.build_for_training((16384, 1))
        return trainer

    real = np.random.default_rng(0).uniform(-1, 1, (batch, nupdates, 16384, 1)).astype(np.float32)
    single = build()
    mirrored = tf.distribute.MirroredStrategy([d.name for d in tf.config.list_logical_devices("CPU")])
    with mirrored.scope():
        replicated = build()
    for source, target in ((single.generator, replicated.generator), (single.discriminator, replicated.discriminator)):
        for s, t in zip(source.variables, target.variables):  # weights and phase-shuffle seed states
            t.assign(s.numpy())
    replicated.seed_generator.state.assign(single.seed_generator.state.numpy())

    before = [v.numpy() for v in single.generator.trainable_variables + single.discriminator.trainable_variables]

    def dataset():
        return tf.data.Dataset.from_tensor_slices(real).batch(batch, drop_remainder=True).repeat()

    logs = [trainer.fit(dataset(), steps_per_epoch=1, epochs=1, verbose=0).history for trainer in (single, replicated)]
    weights = [(a.path, np.abs(a.numpy() - b.numpy()).max(), np.abs(a.numpy()).max())
               for model in ("generator", "discriminator")
               for a, b in zip(getattr(single, model).trainable_variables, getattr(replicated, model).trainable_variables)]
    moved = max(np.abs(a.numpy() - b).max() for a, b in zip(
        single.generator.trainable_variables + single.discriminator.trainable_variables, before))
    return {"replicas": mirrored.num_replicas_in_sync,
            "max_weight_difference": float(max(w[1] for w in weights)),
            "worst_variable": max(weights, key=lambda w: w[1])[0],
            "loss_differences": {k: abs(logs[0][k][0] - logs[1][k][0]) for k in logs[0]},
            "losses": {k: logs[0][k][0] for k in logs[0]},
            "largest_update": float(moved)}


if __name__ == "__main__":
    split_cpu(int(sys.argv[1]))
    if sys.argv[2] == "--equivalence":
        print("RESULT " + json.dumps(equivalence(json.loads(sys.argv[3]) if len(sys.argv) > 3 else {})))
    else:
        sys.argv = sys.argv[2:]
        runpy.run_path(sys.argv[0], run_name="__main__")
