"""The library pieces bench/gpu_kit.py reuses load where TensorFlow and soundfile are not installed (the GPU
machines' image has neither): run in a subprocess in which importing either fails."""

import importlib.util
import subprocess
import sys

import pytest

from tests.helpers import REPO, script_env

BLOCKER = '''
import sys

class _NotOnTheGpuImage:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "soundfile", "tensorflow_io", "librosa"):
            raise ImportError(f"{name} is not installed on the GPU machines")
        return None

sys.meta_path.insert(0, _NotOnTheGpuImage())
'''

# What the kit does before its first jitted step: its run config, the trainer, the state and its checkpoint,
# the classes of its clips, the fixed latents, the int16 of a generated clip.
KIT = '''
import os, sys
sys.path.insert(0, os.path.join(os.getcwd(), "bench"))
import numpy as np
import gpu_kit
from wavegan.audio.pcm import quantize_int16
from wavegan.train import state_files, step_jax

args = gpu_kit.parse_args(["--out", sys.argv[1], "--dim", "4", "--labels", "prefix"])
classes, ids = gpu_kit.class_ids(["Two_a.wav", "One_b.wav", "Two_c.wav"], "prefix")
assert classes == ["One", "Two"] and ids.tolist() == [1, 0, 1], (classes, ids)
run = gpu_kit.kit_run(args, classes)
trainer = gpu_kit.build_trainer(run, seed=0)
assert trainer.num_classes == 2 and run.data.first_slice and run.data.pad_end
state = step_jax.get_state(trainer)
meta = {}
state_files.save(sys.argv[1], state, meta, step=5, keep=2)
back = state_files.restore(sys.argv[1], state_files.load_meta(sys.argv[1]), state)
assert all(np.array_equal(a, b) for a, b in zip(back["g_trainable"], state["g_trainable"]))
z = gpu_kit.sample_latents(3, trainer.latent_dim, 1234)
audio = trainer.generator(z, training=False, labels=np.array([0, 1, 0], np.int32))[..., 0]
assert np.asarray(quantize_int16(audio)).dtype == np.int16
print("loaded:", sorted(m for m in ("tensorflow", "soundfile") if m in sys.modules))
'''


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")
def test_the_kits_library_pieces_need_neither_tensorflow_nor_soundfile(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(BLOCKER)
    env = dict(script_env(), KERAS_BACKEND="jax", PYTHONPATH=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", KIT, str(tmp_path)], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "loaded: []" in proc.stdout
