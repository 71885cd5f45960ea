"""save/load a user can trust: integrity checksum, clear errors for every broken file (never the advice
to pass weights_only=False), an allowlist of fitted attributes, CPU fallback for CUDA-saved models."""
import hashlib
import io

import numpy as np
import pytest
import torch
from registry_params import NAMES, tiny, tiny_data

from adlab.models.base import WeakDetector


@pytest.fixture(scope="module")
def fitted():
    X, y, _ = tiny_data()
    return tiny("DevNet").fit(X, y), X


def _inner(path):
    outer = torch.load(str(path), weights_only=True)
    return torch.load(io.BytesIO(outer["payload"].numpy().tobytes()), weights_only=True)


def _rewrap(inner, path):
    """Write ``inner`` back in the checksummed format (as ``save`` would)."""
    buf = io.BytesIO()
    torch.save(inner, buf)
    blob = buf.getvalue()
    torch.save({"format": "adlab-detector-v2", "class": inner["class"], "sha256": hashlib.sha256(blob).hexdigest(),
                "payload": torch.frombuffer(bytearray(blob), dtype=torch.uint8)}, str(path))


def _assert_clear(exc_info):
    exc = exc_info.value
    assert "weights_only" not in str(exc)
    # torch's own message (which may advise weights_only=False) is not chained onto ours either
    assert exc.__cause__ is None and (exc.__context__ is None or exc.__suppress_context__)


@pytest.mark.parametrize("name", NAMES)
def test_every_detector_round_trips_through_the_checksummed_format(name, tmp_path):
    X, y, _ = tiny_data()
    det = tiny(name).fit(X, y)
    det.save(tmp_path / "d.pt")
    assert torch.load(str(tmp_path / "d.pt"), weights_only=True)["format"] == "adlab-detector-v2"
    np.testing.assert_array_equal(WeakDetector.load(tmp_path / "d.pt").decision_function(X), det.decision_function(X))


def test_a_truncated_file_gives_a_clear_error(fitted, tmp_path):
    det, _ = fitted
    det.save(tmp_path / "d.pt")
    data = (tmp_path / "d.pt").read_bytes()
    (tmp_path / "t.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated, corrupted") as info:
        WeakDetector.load(tmp_path / "t.pt")
    _assert_clear(info)


def test_a_text_file_gives_a_clear_error(tmp_path):
    (tmp_path / "notes.pt").write_text("hello\n")
    with pytest.raises(ValueError, match="not a readable adlab detector file") as info:
        WeakDetector.load(tmp_path / "notes.pt")
    _assert_clear(info)


def test_a_corrupted_pickle_never_advises_weights_only_false(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    torch.save({"format": "adlab-detector-v1", "x": Evil()}, str(tmp_path / "evil.pt"))
    with pytest.raises(ValueError) as info:
        WeakDetector.load(tmp_path / "evil.pt")
    _assert_clear(info)


def test_flipped_bytes_anywhere_are_detected_never_loaded_silently(fitted, tmp_path):
    det, X = fitted
    det.save(tmp_path / "d.pt")
    data = bytearray((tmp_path / "d.pt").read_bytes())
    expected = det.decision_function(X)
    silent = []
    for offset in np.linspace(0, len(data) - 1, 60).astype(int):
        bad = bytearray(data)
        bad[offset] ^= 0xFF
        (tmp_path / "b.pt").write_bytes(bytes(bad))
        try:
            loaded = WeakDetector.load(tmp_path / "b.pt")
        except ValueError:
            continue
        if not np.array_equal(loaded.decision_function(X), expected):
            silent.append(int(offset))
    assert not silent, f"corrupted files loaded with changed scores (byte offsets {silent})"


def test_fitted_attributes_outside_the_allowlist_are_refused(fitted, tmp_path):
    det, _ = fitted
    det.save(tmp_path / "d.pt")
    inner = _inner(tmp_path / "d.pt")
    inner["fitted"]["_score_batch"] = 1
    _rewrap(inner, tmp_path / "x.pt")
    with pytest.raises(ValueError, match="'_score_batch', which is not a fitted attribute"):
        WeakDetector.load(tmp_path / "x.pt")


def test_unknown_parameters_are_refused(fitted, tmp_path):
    det, _ = fitted
    det.save(tmp_path / "d.pt")
    inner = _inner(tmp_path / "d.pt")
    inner["params"]["wings"] = 2
    _rewrap(inner, tmp_path / "x.pt")
    with pytest.raises(ValueError, match=r"parameters \['wings'\]"):
        WeakDetector.load(tmp_path / "x.pt")


def test_saving_into_a_missing_folder_raises_os_error(fitted, tmp_path):
    det, _ = fitted
    with pytest.raises(FileNotFoundError, match="does not exist"):
        det.save(tmp_path / "nope" / "d.pt")
    with pytest.raises(FileNotFoundError):
        WeakDetector.load(tmp_path / "missing.pt")


def test_a_model_saved_for_cuda_loads_on_the_cpu_with_a_warning(fitted, tmp_path, monkeypatch):
    det, X = fitted
    det.save(tmp_path / "d.pt")
    inner = _inner(tmp_path / "d.pt")
    inner["params"]["device"] = "cuda"            # as written on a GPU machine (weights are saved on the CPU)
    _rewrap(inner, tmp_path / "gpu.pt")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(UserWarning, match="CUDA is not available here: loading it on the CPU"):
        loaded = WeakDetector.load(tmp_path / "gpu.pt")
    assert loaded.device_.type == "cpu" and loaded.device == "cpu"
    np.testing.assert_array_equal(loaded.decision_function(X), det.decision_function(X))


def test_files_of_the_previous_format_still_load_with_a_warning(fitted, tmp_path):
    det, X = fitted
    det.save(tmp_path / "d.pt")
    torch.save(_inner(tmp_path / "d.pt"), str(tmp_path / "v1.pt"))
    with pytest.warns(UserWarning, match="without a checksum"):
        loaded = WeakDetector.load(tmp_path / "v1.pt")
    np.testing.assert_array_equal(loaded.decision_function(X), det.decision_function(X))
