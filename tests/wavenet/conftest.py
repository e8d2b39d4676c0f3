import pytest


@pytest.fixture(params=["fused", "lean"])
def fast_form(request, monkeypatch):
    """Both forms of the fast step (FastGenerator._fuse), whatever the batch size."""
    from wavenet import fast_generation

    monkeypatch.setattr(fast_generation, "FUSED_MAX_BATCH", 10 ** 6 if request.param == "fused" else 0)
    return request.param
