"""docs/flags.md is generated from the scripts' flag definitions (tools/make_flags_doc.py) and must match them."""

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import make_flags_doc  # noqa: E402


@pytest.fixture(scope="module")
def reports():
    return {model: make_flags_doc.script_flags(model) for model in make_flags_doc.SCRIPTS}


def test_the_committed_page_is_what_the_flag_definitions_give(reports):
    with open(make_flags_doc.PAGE, encoding="utf-8") as f:
        committed = f.read()
    assert committed == make_flags_doc.render(reports), (
        "docs/flags.md and the flag definitions disagree: run python tools/make_flags_doc.py")


def test_the_page_has_every_flag_of_every_script_with_its_default(reports):
    page = make_flags_doc.render(reports)
    for report in reports.values():
        for _, records in report["groups"]:
            for record in records:
                assert f"| `{record['head']}` |" in page
    # Defaults as the reference gives them (reference §2), not as the code's constants say.
    assert "| `--wavegan_dim` | `64` |" in page
    assert "| `--wavegan_kernel_len` | `25` |" in page
    assert "| `--train_batch_size` | `64`; WaveNet: `1`; frame GRU: `128` |" in page
    assert "| `--incept_ckpt_fp` | `eval/digits_classifier.keras` |" in page  # no path of this machine


def test_check_fails_when_page_and_code_disagree(tmp_path, monkeypatch):
    with open(make_flags_doc.PAGE, encoding="utf-8") as f:
        page = f.read()
    stale = tmp_path / "flags.md"
    stale.write_text(page.replace("| `--wavegan_dim` | `64` |", "| `--wavegan_dim` | `32` |"), encoding="utf-8")
    monkeypatch.setattr(make_flags_doc, "PAGE", str(stale))
    assert make_flags_doc.main(["--check"]) == 1
