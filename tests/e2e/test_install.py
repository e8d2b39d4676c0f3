"""`pip install .` gives the console commands, which work from any folder with the package data installed.

The wheel is built from a copy of the checkout without build isolation (setuptools from this environment, so no
network) and installed with `pip install --target` next to this environment's dependencies; the commands then
run from an empty folder with no checkout on the path. A real `pip install .` into a fresh virtualenv
(dependencies downloaded) is the manual check in docs/install.md.
"""

import glob
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from tests.helpers import REPO

pytestmark = pytest.mark.slow

COMMANDS = ("wavegan-train", "specgan-train", "wavenet-train", "framernn-train", "wavegan-backup")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("install")
    source = tmp / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(".git", ".venv*", "node_modules", "tests", "docs",
                                                                 "__pycache__", "build", "*.egg-info", ".gpu_kit"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + ["wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp / "dist"), str(source)],
                   check=True, cwd=tmp)
    wheel = glob.glob(str(tmp / "dist" / "wavegan-*.whl"))[0]
    target = tmp / "site"
    subprocess.run(pip + ["install", "--no-deps", "--target", str(target), wheel], check=True, cwd=tmp)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(PYTHONPATH=str(target), TF_CPP_MIN_LOG_LEVEL="2")
    elsewhere = tmp / "elsewhere"
    elsewhere.mkdir()
    return wheel, target, env, elsewhere


def test_the_wheel_carries_the_package_data_and_the_commands(installed):
    wheel = installed[0]
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        entry_points = z.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert len([n for n in names if n.startswith("wavegan/bundled/drums/") and n.endswith(".wav")]) == 64
    for name in ("wavegan/bundled/drums/LICENSE.md", "wavegan/bundled/web/page/index.html",
                 "wavegan/bundled/web/page/app.js", "wavegan/bundled/web/package-lock.json",
                 "eval/digits_classifier.keras", "eval/artifact_envelope.npy", "wavenet/wavenet_params.json",
                 "train_wavegan.py", "wavegan/paths.py", "wavegan/cli/export_child.py"):
        assert name in names
    assert not [n for n in names if "node_modules" in n]
    for command in COMMANDS:
        assert f"{command} = " in entry_points
    for kind in ("wavegan", "specgan", "wavenet", "framernn"):
        assert f"{kind} = " in entry_points.split("[wavegan.models]")[1]


def test_the_commands_train_and_generate_from_another_folder(installed):
    _, target, env, elsewhere = installed
    bin_dir = target / "bin"
    for command in COMMANDS:
        out = subprocess.run([str(bin_dir / command), "--help"], env=env, cwd=elsewhere, capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert "usage:" in out.stdout
    # No --data_dir: the bundled drums, found inside the installed package.
    train = subprocess.run([str(bin_dir / "wavegan-train"), "train", "run", "--wavegan_dim", "4",
                            "--train_batch_size", "2", "--train_max_steps", "1"],
                           env=env, cwd=elsewhere, capture_output=True, text=True, timeout=600)
    assert train.returncode == 0, train.stderr
    with open(elsewhere / "run" / "config.json") as f:
        data_dir = json.load(f)["data"]["data_dir"]
    assert data_dir == str(target / "wavegan" / "bundled" / "drums")
    generate = subprocess.run([str(bin_dir / "wavegan-train"), "generate", "run", "--generate_n", "2"],
                              env=env, cwd=elsewhere, capture_output=True, text=True, timeout=300)
    assert generate.returncode == 0, generate.stderr
    assert sorted(os.listdir(elsewhere / "run" / "generated")) == ["00000.wav", "00001.wav", "z.npy"]
    # The web export names the command that installs the page's runtime into the installed package.
    web = subprocess.run([str(bin_dir / "wavegan-train"), "web", "run"], env=env, cwd=elsewhere,
                         capture_output=True, text=True, timeout=300)
    assert web.returncode == 2
    assert f"npm ci --prefix {target / 'wavegan' / 'bundled' / 'web'}" in web.stderr
