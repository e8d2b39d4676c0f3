import keras
import numpy as np
import pytest
import tensorflow as tf

from wavegan.train import losses
from wavegan.models import WaveGANDiscriminator, WaveGANGenerator
from wavegan.models.config import WaveGANConfig
from wavegan.train.trainer import AdversarialTrainer


@pytest.fixture
def policy(request):
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(request.param)
    yield request.param
    keras.config.set_dtype_policy(previous)


@pytest.mark.parametrize("policy", ["float32", "mixed_bfloat16", "mixed_float16"], indirect=True)
def test_each_precision_trains_with_finite_losses(policy):
    g, d = WaveGANGenerator(dim=2, name="G"), WaveGANDiscriminator(dim=2, name="D")
    assert g.upconvs[0].compute_dtype == policy.replace("mixed_", "")
    g_opt, d_opt = losses.make_optimizer("wgan-gp"), losses.make_optimizer("wgan-gp")
    if policy == "mixed_float16":
        g_opt, d_opt = keras.optimizers.LossScaleOptimizer(g_opt), keras.optimizers.LossScaleOptimizer(d_opt)
    trainer = AdversarialTrainer(g, d, latent_dim=100, disc_nupdates=2, seed=0)
    trainer.compile(g_opt, d_opt, "wgan-gp", jit_compile=False)
    trainer.build_for_training((16384, 1))
    real = np.random.default_rng(0).uniform(-1, 1, (4, 2, 16384, 1)).astype(np.float32)
    before = [v.numpy().copy() for v in g.trainable_variables]
    history = trainer.fit(tf.data.Dataset.from_tensors(real).repeat(), steps_per_epoch=3, epochs=1, verbose=0)
    for name, values in history.history.items():
        assert np.all(np.isfinite(values)), name
    assert history.history["gradient_penalty"][-1] > 0
    assert all(v.dtype == "float32" for v in g.trainable_variables)  # master weights stay float32
    assert any(not np.allclose(b, v.numpy()) for b, v in zip(before, g.trainable_variables))
    out = g(np.zeros((1, 100), np.float32))
    assert out.dtype == "float32" and d(out).dtype == "float32"


# ------------------------------------------------------------------ --train_precision auto (wavegan/train/precision.py)

XEON_FLAGS = set("fpu sse2 avx2 avx512f avx512bw avx512_vnni avx512_bf16 amx_bf16 amx_tile".split())
ZEN5_FLAGS = set("fpu sse2 avx2 avx512f avx512bw avx512_bf16".split())
OLD_FLAGS = set("fpu sse2 avx2 fma".split())


def never_called():
    raise AssertionError("the probe must not run here")


def test_auto_picks_bf16_on_gpus_with_bf16_tensor_cores_without_probing():
    from wavegan.train.precision import choose_precision

    assert choose_precision(OLD_FLAGS, [(8, 0)], never_called).precision == "mixed_bfloat16"
    assert choose_precision(OLD_FLAGS, [(9, 0), (8, 6)], never_called).precision == "mixed_bfloat16"
    # A V100 / T4 (7.x) has no bf16 tensor cores; one such GPU among several decides for all.
    turing = choose_precision(XEON_FLAGS, [(7, 5)], never_called)
    assert turing.precision == "float32" and "7.5" in turing.reason
    assert choose_precision(OLD_FLAGS, [(8, 0), (7, 0)], never_called).precision == "float32"


def test_auto_on_cpus_needs_bf16_instructions_and_a_measured_gain():
    from wavegan.train.precision import choose_precision

    plain = choose_precision(OLD_FLAGS, [], never_called)
    assert plain.precision == "float32" and "no bf16 instructions" in plain.reason
    fast = choose_precision(ZEN5_FLAGS, [], lambda: 2.0)
    assert fast.precision == "mixed_bfloat16" and "avx512_bf16" in fast.reason and "2.00× faster" in fast.reason
    slow = choose_precision(XEON_FLAGS, [], lambda: 0.8)
    assert slow.precision == "float32" and "amx_bf16" in slow.reason and "1.25× slower" in slow.reason
    assert choose_precision(XEON_FLAGS, [], lambda: 1.1).precision == "float32"  # a tie is not worth bf16's rounding
    assert choose_precision(XEON_FLAGS, [], None).precision == "float32"


def test_float32_hint_only_where_bf16_is_likely_much_faster():
    from wavegan.train.precision import float32_hint

    assert "tensor cores" in float32_hint(OLD_FLAGS, [(8, 0)])
    assert "AMX-BF16" in float32_hint(XEON_FLAGS, [])
    assert float32_hint(OLD_FLAGS, []) is None
    assert float32_hint(XEON_FLAGS, [(7, 5)]) is None  # the GPU trains, not the CPU


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    from wavegan.train.precision import read_cpu_flags

    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu avx512_bf16 amx_bf16\n\n"
                       "processor\t: 1\nflags\t\t: fpu avx512_bf16 amx_bf16\n")
    assert read_cpu_flags(str(cpuinfo)) == {"fpu", "avx512_bf16", "amx_bf16"}
    assert read_cpu_flags(str(tmp_path / "missing")) == set()


def test_probe_compares_the_two_policies_and_restores_the_global_one():
    from wavegan.train.precision import probe_speedup

    seen = []

    def build():
        seen.append(keras.config.dtype_policy().name)
        return keras.layers.Dense(8)

    speedup = probe_speedup(build, np.ones((4, 16), np.float32), seconds=0.05)
    assert seen == ["float32", "mixed_bfloat16"] and speedup > 0
    assert keras.config.dtype_policy().name == "float32"


def test_auto_resolves_before_the_models_are_built_and_says_which(monkeypatch):
    from wavegan import config
    from wavegan.models.kind import wavegan_gan
    from wavegan.train import precision
    from wavegan.train import adversarial as training

    monkeypatch.setattr(precision, "read_cpu_flags", lambda: ZEN5_FLAGS)
    monkeypatch.setattr(precision, "gpu_capabilities", lambda: [])
    monkeypatch.setattr(precision, "probe_speedup", lambda build, inputs: 1.9)
    run = config.RunConfig("wavegan", config.DataConfig(), WaveGANConfig(dim=2),
                           config.TrainConfig(precision="auto").validate())
    lines = []
    resolved = training.resolve_precision(run, wavegan_gan(), lines.append)
    assert resolved.train.precision == "mixed_bfloat16" and run.train.precision == "auto"
    assert lines == ["--train_precision auto: mixed_bfloat16, as this CPU has avx512_bf16 and bf16 measured "
                     "1.90× faster."]


def test_auto_does_not_probe_per_replica(monkeypatch):
    """Replicas each probing their own machine could pick different precisions: with several, no probe."""
    from wavegan import config
    from wavegan.models.kind import wavegan_gan
    from wavegan.train import precision
    from wavegan.train import adversarial as training

    monkeypatch.setattr(precision, "read_cpu_flags", lambda: ZEN5_FLAGS)
    monkeypatch.setattr(precision, "gpu_capabilities", lambda: [])
    monkeypatch.setattr(precision, "probe_speedup", lambda build, inputs: never_called())
    run = config.RunConfig("wavegan", config.DataConfig(), WaveGANConfig(dim=2),
                           config.TrainConfig(precision="auto").validate())
    resolved = training.resolve_precision(run, wavegan_gan(), lambda line: None, replicas=2)
    assert resolved.train.precision == "float32"
