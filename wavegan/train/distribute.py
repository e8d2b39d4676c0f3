"""tf.distribute strategies for `--train_strategy`, and who writes files (the chief).

`auto`: MirroredStrategy over every visible GPU when there are two or more, otherwise the default
(single-device) strategy. `mirrored`: MirroredStrategy over all GPUs, or over all logical CPU devices
when there is no GPU. `multiworker`: MultiWorkerMirroredStrategy, configured by the TF_CONFIG
environment variable. `tpu`: TPUStrategy where a TPU cluster resolver finds one.

`--train_batch_size` is the global batch: each of R replicas trains on batch / R examples.
"""

from __future__ import annotations

import json
import os

import tensorflow as tf

from wavegan.config import STRATEGIES
from wavegan.errors import UserError


def make_strategy(name: str) -> tf.distribute.Strategy:
    """The strategy for `--train_strategy name`. Call before any other TensorFlow work: collective
    ops (multiworker) can only be configured at program start."""
    if name == "auto":
        gpus = tf.config.list_physical_devices("GPU")
        return tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()
    if name == "mirrored":
        if tf.config.list_physical_devices("GPU"):
            return tf.distribute.MirroredStrategy()
        return tf.distribute.MirroredStrategy([d.name for d in tf.config.list_logical_devices("CPU")])
    if name == "multiworker":
        if "TF_CONFIG" not in os.environ:
            raise UserError("--train_strategy multiworker needs the TF_CONFIG environment variable on every "
                            "worker (cluster addresses and this worker's index); see README, "
                            "\"Multiple GPUs and machines\".")
        try:
            json.loads(os.environ["TF_CONFIG"])
        except ValueError as e:
            raise UserError(f"TF_CONFIG is not valid JSON ({e}); see README, \"Multiple GPUs and machines\".") from None
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
        except (ValueError, RuntimeError, tf.errors.OpError) as e:
            raise UserError(f"--train_strategy tpu found no TPU ({str(e).splitlines()[0]}); "
                            "use auto, mirrored or multiworker.") from None
        return tf.distribute.TPUStrategy(resolver)
    raise UserError(f"--train_strategy must be one of {', '.join(STRATEGIES)}, not {name!r}.")


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """True for the one worker that writes checkpoints, summaries and exports (always, on one machine)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.cluster_spec().as_dict():
        return True
    task_type, task_id = resolver.task_type, resolver.task_id
    if task_type == "chief":
        return True
    return task_type == "worker" and task_id == 0 and "chief" not in resolver.cluster_spec().as_dict()


def describe(strategy: tf.distribute.Strategy) -> str:
    for cls, name in ((tf.distribute.MultiWorkerMirroredStrategy, "MultiWorkerMirroredStrategy"),
                      (tf.distribute.MirroredStrategy, "MirroredStrategy"), (tf.distribute.TPUStrategy, "TPUStrategy")):
        if isinstance(strategy, cls):
            return f"{name} with {strategy.num_replicas_in_sync} replicas"
    return "one device"


def agreed_step(strategy: tf.distribute.Strategy, step: tf.Variable) -> int:
    """The step every worker restored; refuses to train when they differ (a worker that cannot read
    the chief's checkpoints would start from other weights and the replicas would drift apart)."""
    if strategy.num_replicas_in_sync == 1:
        return int(step.numpy())

    def every_step():
        return tf.distribute.get_replica_context().all_gather(tf.reshape(tf.cast(step, tf.int64), [1]), axis=0)

    steps = sorted(set(strategy.experimental_local_results(tf.function(lambda: strategy.run(every_step))())[0]
                       .numpy().tolist()))
    if len(steps) > 1:
        raise UserError(f"The workers restored different steps ({', '.join(map(str, steps))}): every worker must "
                        "read the same train_dir (put it on storage all workers share).")
    return steps[0]
