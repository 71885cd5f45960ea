"""Specifications of the ADBench registry and loader. No test touches the network: downloads are
simulated with ``file://`` URLs to temporary folders."""
import csv
import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from adlab.data import adbench
from adlab.data.adbench import REGISTRY, DownloadError, adbench_entry, list_adbench, load_adbench, resolve_name

INDEX = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "adbench-classical-index.tsv"


@pytest.fixture(autouse=True)
def no_network(monkeypatch, tmp_path):
    """Every test gets an empty cache and a download URL pointing to an empty local folder."""
    empty = tmp_path / "remote-empty"
    empty.mkdir()
    monkeypatch.setenv("ADLAB_ADBENCH_URL", empty.as_uri())
    monkeypatch.setenv("ADLAB_CACHE_DIR", str(tmp_path / "cache"))
    adbench._VERIFIED_FILES.clear()


@pytest.fixture
def remote(tmp_path, monkeypatch, adbench_dir):
    """A fake 'remote' folder (file:// URL) holding a copy of the small real 38_thyroid.npz; no local dir."""
    folder = tmp_path / "remote"
    folder.mkdir()
    shutil.copy(adbench_dir / "38_thyroid.npz", folder / "38_thyroid.npz")
    monkeypatch.setenv("ADLAB_ADBENCH_URL", folder.as_uri())
    monkeypatch.setenv("ADLAB_DATA_DIR", str(tmp_path / "no-local-data"))
    return folder


# --- the registry -----------------------------------------------------------------------------------

def test_registry_holds_43_verified_and_4_unverified_files():
    entries = list(REGISTRY.values())
    assert len(entries) == 47
    assert sum(e.sha256 is not None for e in entries) == 43
    assert {e.file for e in entries if e.sha256 is None} == {"13_fraud.npz", "9_census.npz", "3_backdoor.npz",
                                                             "36_speech.npz"}
    assert len({e.file for e in entries}) == 47


@pytest.mark.skipif(not INDEX.is_file(), reason="the shared ADBench index is not available")
def test_registry_matches_the_shared_index_file():
    with open(INDEX, newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    assert len(rows) == 43
    for row in rows:
        e = adbench_entry(row["file"])
        assert (e.file, e.sha256, e.rows, e.cols, e.anomaly_pct) == (
            row["file"], row["sha256"], int(row["rows"]), int(row["cols"]), float(row["anomaly_pct"]))


@pytest.mark.parametrize("spelling", ["pendigits", "28_pendigits", "28_pendigits.npz", "PenDigits",
                                      " 28_PENDIGITS.NPZ "])
def test_name_lookup_accepts_every_spelling(spelling):
    assert resolve_name(spelling) == "pendigits"
    assert adbench_entry(spelling).file == "28_pendigits.npz"


def test_unknown_name_lists_near_matches():
    with pytest.raises(ValueError, match="pendigits"):
        resolve_name("pendigit")
    with pytest.raises(ValueError, match="unknown ADBench"):
        resolve_name("not-a-dataset-at-all")
    with pytest.raises(ValueError, match="28_pendigits"):
        resolve_name("27_pendigits")  # right name, wrong number


def test_list_adbench_is_a_dataframe_with_local_availability(adbench_dir):
    df = list_adbench(data_dir=adbench_dir)
    assert len(df) == 47
    assert {"name", "file", "rows", "cols", "anomaly_pct", "sha256", "available_locally"} <= set(df.columns)
    local = set(df.loc[df.available_locally, "file"])
    assert "28_pendigits.npz" in local
    assert local == {p.name for p in adbench_dir.glob("*.npz") if p.name in set(df.file)}
    assert df.loc[df.name == "pendigits", "n_anomalies"].item() == 156


# --- loading from ADLAB_DATA_DIR ---------------------------------------------------------------------

def test_load_pendigits_from_the_data_dir(adbench_dir):
    X, y = load_adbench("pendigits")
    assert X.shape == (6870, 16) and X.dtype == np.float64
    assert y.dtype == np.int64 and y.sum() == 156 and set(np.unique(y)) == {0, 1}


def test_a_corrupt_local_file_is_refused(tmp_path, adbench_dir):
    local = tmp_path / "local"
    local.mkdir()
    raw = bytearray((adbench_dir / "38_thyroid.npz").read_bytes())
    raw[-10] ^= 0xFF
    (local / "38_thyroid.npz").write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="checksum mismatch"):
        load_adbench("thyroid", data_dir=local)


def test_missing_file_without_download_says_where_it_looked(tmp_path):
    with pytest.raises(FileNotFoundError, match="ADLAB_DATA_DIR"):
        load_adbench("wine", data_dir=tmp_path, download=False)


# --- simulated downloads (file:// URLs) ---------------------------------------------------------------

def test_download_fills_the_cache_and_later_loads_use_it(remote, tmp_path):
    X, y = load_adbench("thyroid")
    cached = tmp_path / "cache" / "adbench" / "38_thyroid.npz"
    assert cached.is_file()
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == REGISTRY["thyroid"].sha256
    assert X.shape == (3772, 6) and y.sum() == round(3772 * 0.0247)
    (remote / "38_thyroid.npz").unlink()  # the "remote" is gone: the cache must serve the file
    X2, y2 = load_adbench("38_thyroid.npz")
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not list(cached.parent.glob("*.part"))


def test_a_download_with_a_bad_checksum_is_not_kept(remote, tmp_path):
    data = np.load(remote / "38_thyroid.npz")
    np.savez(remote / "38_thyroid.npz", X=data["X"] + 1.0, y=data["y"])  # same shape, different bytes
    with pytest.raises(ValueError, match="checksum mismatch"):
        load_adbench("thyroid")
    cache = tmp_path / "cache" / "adbench"
    assert not any(cache.iterdir()) if cache.exists() else True


def test_offline_download_failure_tells_the_user_to_set_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ADLAB_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(DownloadError, match="ADLAB_DATA_DIR"):
        load_adbench("wine")
    assert not list((tmp_path / "cache" / "adbench").glob("*"))


def test_unverified_large_files_load_with_a_warning(tmp_path, monkeypatch):
    remote = tmp_path / "remote-large"
    remote.mkdir()
    rng = np.random.default_rng(0)
    np.savez(remote / "36_speech.npz", X=rng.normal(size=(20, 4)), y=np.r_[np.zeros(18), np.ones(2)])
    monkeypatch.setenv("ADLAB_ADBENCH_URL", remote.as_uri())
    monkeypatch.setenv("ADLAB_DATA_DIR", str(tmp_path / "none"))
    with pytest.warns(UserWarning, match="unverified"):
        X, y = load_adbench("speech")
    assert X.shape == (20, 4) and y.sum() == 2


def test_npz_files_without_x_and_y_are_rejected(tmp_path):
    np.savez(tmp_path / "bad.npz", data=np.zeros(3))
    with pytest.raises(ValueError, match="'X' and 'y'"):
        adbench.load_npz(tmp_path / "bad.npz")


def test_pickled_object_arrays_are_never_loaded(tmp_path):
    np.savez(tmp_path / "obj.npz", X=np.array([[object()]], dtype=object), y=np.zeros(1))
    with pytest.raises(ValueError, match="pickle"):
        adbench.load_npz(tmp_path / "obj.npz")


def test_a_trickling_server_hits_the_overall_deadline(tmp_path, monkeypatch):
    """A server that sends one byte every 0.1 s never trips the per-read timeout; the deadline stops it."""
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Trickle(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(10**9))
            self.end_headers()
            try:
                for _ in range(600):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.1)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("ADLAB_ADBENCH_URL", f"http://127.0.0.1:{server.server_address[1]}")
        monkeypatch.setenv("ADLAB_DATA_DIR", str(tmp_path / "none"))
        t0 = time.monotonic()
        with pytest.raises(DownloadError, match="deadline of 1 s"):
            load_adbench("wine", timeout=5.0, deadline=1.0)
        assert time.monotonic() - t0 < 10
        assert not list((tmp_path / "cache" / "adbench").glob("*"))
    finally:
        server.shutdown()


# --- notebooks that must run anywhere -------------------------------------------------------------------

def test_load_or_synthetic_returns_the_real_file_when_it_is_there(adbench_dir):
    X, y, label = adbench.load_adbench_or_synthetic("thyroid", n_samples=500, anomaly_ratio=0.05,
                                                    data_dir=adbench_dir)
    assert label == "thyroid" and X.shape == (3772, 6)


def test_load_or_synthetic_falls_back_to_a_stand_in_of_the_same_width_with_a_warning(tmp_path):
    with pytest.warns(UserWarning, match="synthetic stand-in"):
        X, y, label = adbench.load_adbench_or_synthetic("cardio", n_samples=500, anomaly_ratio=0.1,
                                                        data_dir=tmp_path, download=False, random_state=3)
    assert label == "synthetic (global anomalies)"
    assert X.shape[1] == adbench_entry("cardio").cols == 21
    assert set(np.unique(y)) == {0, 1} and 0.05 < y.mean() < 0.15
    X2, y2, _ = adbench.load_adbench_or_synthetic("cardio", n_samples=500, anomaly_ratio=0.1, data_dir=tmp_path,
                                                  download=False, random_state=3)
    np.testing.assert_array_equal(X, X2)  # the stand-in is seeded


def test_load_or_synthetic_does_not_hide_a_misspelt_name(tmp_path):
    with pytest.raises(ValueError, match="unknown ADBench data set"):
        adbench.load_adbench_or_synthetic("pendigts", n_samples=500, anomaly_ratio=0.1, data_dir=tmp_path)
