"""The files that ship beside the code are found in a checkout (wavegan/paths.py); the installed layout is
checked by tests/e2e/test_install.py."""

import os
import tomllib

from wavegan import config, paths

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_a_checkout_reads_its_own_files():
    assert paths.ROOT == ROOT
    assert paths.DRUM_CORPUS == os.path.join(ROOT, "data", "drums") == config.BUNDLED_CORPUS
    assert len([f for f in os.listdir(paths.DRUM_CORPUS) if f.endswith(".wav")]) == 64
    assert os.path.isfile(paths.DIGITS_CLASSIFIER)


def test_the_web_export_finds_the_page():
    # The layout change left the page at wavegan/web/page, a folder that does not exist: the web tests
    # then skipped as if onnxruntime-web were missing.
    from wavegan.serve import web

    assert web.WEB_SOURCE == os.path.join(ROOT, "web")
    assert os.path.isfile(os.path.join(web.PAGE_DIR, "index.html"))
    assert web.ORT_DIST == os.path.join(ROOT, "web", "node_modules", "onnxruntime-web", "dist")


def test_pyproject_ships_the_folders_where_paths_looks_for_them():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        setuptools = tomllib.load(f)["tool"]["setuptools"]
    mapped = setuptools["package-dir"]
    assert mapped == {"wavegan.bundled.drums": "data/drums", "wavegan.bundled.web": "web"}
    for package, folder in mapped.items():
        assert package in setuptools["packages"]
        bundled_name = package.rsplit(".", 1)[1]
        installed = os.path.join(paths.BUNDLED_DIR, bundled_name)
        assert paths._shipped(folder, bundled_name) == os.path.join(ROOT, folder)
        assert not os.path.exists(installed)  # a checkout has no bundled copy
    # Every package of the checkout is installed.
    packages = {os.path.relpath(d, ROOT).replace(os.sep, ".") for d, _, files in os.walk(ROOT)
                if "__init__.py" in files and not os.path.relpath(d, ROOT).startswith(("tests", ".", "web"))}
    assert packages <= set(setuptools["packages"])
