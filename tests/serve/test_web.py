"""wavegan.serve.web (`train_wavegan.py web`): the generator's ONNX graph, the exported folder, the server."""

import os
import threading
import urllib.request

import numpy as np
import onnxruntime
import pytest

from tests.model_fixtures import randomized_generator
from wavegan.errors import UserError
from wavegan.serve import web as web_export


TOLERANCE = 1e-4  # max abs difference between the browser's audio and the SavedModel's (issue 16)


@pytest.mark.parametrize("kwargs", [
    {}, {"post_proc_filter": True, "post_proc_len": 512}, {"upsample": "nn"}, {"batchnorm": True},
    {"slice_len": 32768}, {"slice_len": 65536, "post_proc_filter": True, "post_proc_len": 64},
    {"num_channels": 2, "post_proc_filter": True, "post_proc_len": 32}, {"kernel_len": 8, "latent_dim": 3},
], ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()) or "paper")
def test_onnx_graph_equals_the_keras_generator(kwargs):
    generator = randomized_generator(**kwargs)
    session = onnxruntime.InferenceSession(web_export.generator_to_onnx(generator).SerializeToString())
    z = np.random.default_rng(1).uniform(-1, 1, (3, generator.latent_dim)).astype(np.float32)
    expected = np.asarray(generator(z, training=False))
    got = session.run(["G_z"], {"z": z})[0]
    assert got.shape == expected.shape == (3, generator.slice_len, generator.num_channels)
    assert np.abs(expected).max() > 0.1
    assert np.abs(got - expected).max() < TOLERANCE


def test_missing_runtime_names_the_npm_command(monkeypatch, tmp_path):
    monkeypatch.setattr(web_export, "ORT_DIST", str(tmp_path))
    with pytest.raises(UserError, match=r"npm ci --prefix .*web"):
        web_export.write_web_folder(randomized_generator(), {}, str(tmp_path / "out"))


def test_export_replaces_only_an_earlier_export(tmp_path):
    if web_export.runtime_missing():
        pytest.skip("needs onnxruntime-web: npm ci --prefix web (.ci/run runs it)")
    generator, facts = randomized_generator(), {"latent_dim": 100}
    folder = web_export.write_web_folder(generator, facts, str(tmp_path / "web"))
    assert sorted(os.listdir(folder)) == ["app.js", "generator.onnx", "index.html", "run.json", "runtime", "style.css"]
    web_export.write_web_folder(generator, facts, folder)  # a second export replaces the first
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(UserError, match="not a web export"):
        web_export.write_web_folder(generator, facts, str(tmp_path / "mine"))
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_web_serve_sends_the_isolation_headers(tmp_path):
    (tmp_path / "index.html").write_text("<p>hi</p>")
    server = web_export.make_server(str(tmp_path), 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}/index.html") as response:
            assert response.read() == b"<p>hi</p>"
            assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
            assert response.headers["Cross-Origin-Embedder-Policy"] == "require-corp"
    finally:
        server.shutdown()
        server.server_close()


def test_specgan_runs_are_refused_in_one_sentence(tmp_path):
    from specgan.gan import specgan_kind
    from specgan.transforms import Moments

    kind = specgan_kind(Moments(np.zeros(129), np.ones(129)))
    with pytest.raises(UserError, match="supports WaveGAN runs only") as info:
        web_export.run_web_mode(str(tmp_path), kind, None, str(tmp_path / "web"))
    assert str(info.value).count(". ") == 0
