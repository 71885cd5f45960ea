"""Registry and loader for ADBench's "Classical" tabular data sets.

ADBench (Han et al., NeurIPS 2022 Datasets and Benchmarks; GitHub ``Minqi824/ADBench``, BSD-2-Clause)
publishes 47 classical anomaly-detection data sets as ``.npz`` files holding ``X`` (n, d) and ``y``
(0 normal, 1 anomaly). This module knows their names, sizes and SHA-256 checksums and loads them::

    from adlab.data.adbench import load_adbench, list_adbench
    X, y = load_adbench("pendigits")          # also "28_pendigits", "28_pendigits.npz", "PenDigits"
    list_adbench()                            # a DataFrame of the registry

Where a file is looked for, in order:

1. ``data_dir=`` or the folder named by ``ADLAB_DATA_DIR`` (read-only; a course or CI copy);
2. the user cache ``cache_dir=`` / ``$ADLAB_CACHE_DIR`` / ``~/.cache/adlab``, sub-folder ``adbench/``;
3. a download from ``$ADLAB_ADBENCH_URL`` (default :data:`DEFAULT_URL`) ``+ "/" + file`` into that cache.

Every file is checked against its SHA-256 (a mismatch raises ``ValueError`` and a downloaded file is not
kept). The four largest files (``13_fraud``, ``9_census``, ``3_backdoor``, ``36_speech``) have no known
checksum here: they load with a ``UserWarning`` instead, and their sizes come from the ADBench paper's table.
Files are read with ``np.load(..., allow_pickle=False)``.
"""
from __future__ import annotations

import difflib
import hashlib
import os
import re
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

__all__ = ["DEFAULT_URL", "AdbenchEntry", "REGISTRY", "DownloadError", "resolve_name", "adbench_entry",
           "list_adbench", "load_adbench", "load_adbench_or_synthetic", "load_npz", "cache_dir", "sha256_of"]

#: Where ADBench keeps the Classical files (overridable with ``ADLAB_ADBENCH_URL``, e.g. a ``file://`` URL).
DEFAULT_URL = "https://github.com/Minqi824/ADBench/raw/main/adbench/datasets/Classical"


class DownloadError(OSError):
    """A data file could not be fetched (offline, moved, HTTP error)."""


@dataclass(frozen=True)
class AdbenchEntry:
    """One ADBench Classical file: ``name`` (lower case, no number), ``file``, checksum and size facts."""

    name: str
    file: str
    sha256: str | None
    rows: int
    cols: int
    anomaly_pct: float

    @property
    def stem(self) -> str:
        return self.file[: -len(".npz")]

    @property
    def n_anomalies(self) -> int:
        return int(round(self.rows * self.anomaly_pct / 100))


# file, sha256, rows, cols, anomaly % — from ADBench's Classical folder (verified checksums)
_VERIFIED = [
    ("1_ALOI.npz", "792d0b5bd1147bfc9574a1974f157b39fbd4cbed8ecd04cf983fd554498ed477", 49534, 27, 3.04),
    ("2_annthyroid.npz", "e738f7c58a8740d2c4aac4c71ff49ce5e1d1aa16f44178135fc9c09df05fad1b", 7200, 6, 7.42),
    ("4_breastw.npz", "4f37ce07dbc25ddad8178fdc6d664ab46d2d0000ee28c2787c3c7ff3c03ef9f6", 683, 9, 34.99),
    ("5_campaign.npz", "74dd4d0072d6c6f1aabab63bc102f9633454f32bb936fa9bcfbd38f9f2386bcd", 41188, 62, 11.27),
    ("6_cardio.npz", "bc5009bde6930b4d298b594f31b34485a9a17210cff0e8fb00a8c3068b885a2d", 1831, 21, 9.61),
    ("7_Cardiotocography.npz", "5ae84910430f05923e11b6f537243263977c9136949dabd891e3570aeec51e29", 2114, 21, 22.04),
    ("8_celeba.npz", "1cadfdea14cd8d240eca715a70c09c88af8621d086a7478c63f602d97adef0b5", 202599, 39, 2.24),
    ("10_cover.npz", "945a097c3542ae81a551bf1c06dcad78a755d94f84fcaf1d60687e42d1a656df", 286048, 10, 0.96),
    ("11_donors.npz", "5824ec854465f2763b4bfe3da1ae9f25ed5433b5c6e265d42e37da4f82a58679", 619326, 10, 5.93),
    ("12_fault.npz", "ec27301f9a4cf7c5d8b22c360cf37ddb043b7fb062465723dfd8b34e2771e5dd", 1941, 27, 34.67),
    ("14_glass.npz", "aa7a8db1d475ba01a10488af454bc15220a3d5951b010b03b7020567d8152cdc", 214, 7, 4.21),
    ("15_Hepatitis.npz", "4a87a2f7d8013e5bfde63294fae61ec7a612322de72f338a7f9491749025ad98", 80, 19, 16.25),
    ("16_http.npz", "9d98710091551587f4740cfc851a6b064fff6319a337c2dc77ee6da4bcc2e02c", 567498, 3, 0.39),
    ("17_InternetAds.npz", "bdd8ad5cf5bf2cb96cba53dde30d522d0f6a279083a8e2bc7efbac5981b04385", 1966, 1555, 18.72),
    ("18_Ionosphere.npz", "bca46cb0cfd1bf9ddef6cde5ad2215d54fb0189508d0d4c4eb98e788cad69001", 351, 32, 35.90),
    ("19_landsat.npz", "ba17e2158c07469597b89db49d3982c874c6b713ff6670721ddc88969da77987", 6435, 36, 20.71),
    ("20_letter.npz", "f986d3da80cf1fa2aea83a5ebe73b7d4800e0d4c01fdd1ae074b58d20f10d039", 1600, 32, 6.25),
    ("21_Lymphography.npz", "dad977b04f4ea65b78ccd0e9f76b45175bad605165b37e63f3cc177845e67037", 148, 18, 4.05),
    ("22_magic.gamma.npz", "0be375984d7af9ea7a63b12206c240840d8b7daa3607021c5fb8756407dd86f1", 19020, 10, 35.16),
    ("23_mammography.npz", "a0308ac9712d78321073b1c2dc98dc37665c0f35c1cc33019416fe8f8d7de7ea", 11183, 6, 2.32),
    ("24_mnist.npz", "be7706272325fdd3592c1be555ae1a82f916a2f8545f4f8cbaa548ab102cc44c", 7603, 100, 9.21),
    ("25_musk.npz", "2ed3f4392197b76a1e59116ff880c7720a4b026cf4842073a53b56fdea265017", 3062, 166, 3.17),
    ("26_optdigits.npz", "60de17a375a278ba220a7849727d998aa02b5e2f9fd17732a004bba28de4656e", 5216, 64, 2.88),
    ("27_PageBlocks.npz", "10a9b4d5bb5d3b9083caab4c4062f665610eada703c3d927bf7c34b1f2d0d223", 5393, 10, 9.46),
    ("28_pendigits.npz", "c4936b89dcdad59d303020e492f763a0f54170080d787c77497609acbb9c2d79", 6870, 16, 2.27),
    ("29_Pima.npz", "215454bb263a2f040945c9ea7bd7f06f1e89a61a3143bdb6f196e3887e801a7d", 768, 8, 34.90),
    ("30_satellite.npz", "1f048f5686f1b8c16a227fdfa3c81a62cd9a92715714a6b24c69b1c5ad96b46e", 6435, 36, 31.64),
    ("31_satimage-2.npz", "1b056e357f801b8b20c3f380a30224a3c4088d7ed764ec5a24828dc9b1918d6f", 5803, 36, 1.22),
    ("32_shuttle.npz", "26900b0f6be45d9ddb7a402c9b2f956ceda42d23a8ca4cf4406b8bc1352823d1", 49097, 9, 7.15),
    ("33_skin.npz", "d02aa01ffc1b6bf2b8b1ac250c90e8a8eacd0cefc962940ed5cc4bf5deac9c95", 245057, 3, 20.75),
    ("34_smtp.npz", "d2569fc9bc12115419e3f5b37d19921e10e6c26e5ad1e61064cfb0fbc402dfdd", 95156, 3, 0.03),
    ("35_SpamBase.npz", "d0c46c7928e43f6496bcd06e09de0b70f6bc8143792dfa0a43f450263d254e9b", 4207, 57, 39.91),
    ("37_Stamps.npz", "99fe739447284f613fa54bf2dccdb51c5120175ce6260adec6dad77576c42509", 340, 9, 9.12),
    ("38_thyroid.npz", "8de161b3f235b7647bb0b39a836d983ff61d67bf234edac461da2d71e889cb87", 3772, 6, 2.47),
    ("39_vertebral.npz", "0816286f92b96fe6867664a41a031ac7228dcfbf1a5feefe50ca3883b2e9073d", 240, 6, 12.50),
    ("40_vowels.npz", "4bfc4244d1c882773bbbc50d4a5db5e52276e53506e46b2d45e02d074cfcb1b6", 1456, 12, 3.43),
    ("41_Waveform.npz", "6c9d867337ad1a2f8372c1d27f4c032f0401237e2041b7c45f00de8d319ff30f", 3443, 21, 2.90),
    ("42_WBC.npz", "650f9dcb129248f67a291be0974f533ef259fcbde50fce5c8ad2a1cb2652d03b", 223, 9, 4.48),
    ("43_WDBC.npz", "78d4606a1ab516f5b60b00c196497f3bbd6bd5e4548fd04cf5f2475209b34b85", 367, 30, 2.72),
    ("44_Wilt.npz", "c70b72aa611ec87b20efb400943ef3ce4f8bf7aa58fcef825fbd28cc5cee3cc9", 4819, 5, 5.33),
    ("45_wine.npz", "d5ad8965d92cc57122fe1e6572bb301adbaf795b3e166d187ae00a704d8f6e20", 129, 13, 7.75),
    ("46_WPBC.npz", "68a6d67242643855713bcdad07d89ecc472bd00000dccc17ba87916eb2693d19", 198, 33, 23.74),
    ("47_yeast.npz", "bbb15c873d78a4f6a589f46d0f75814595e2282d2ae7ce7779c750f276c3770d", 1484, 8, 34.16),
]

# The four largest files: no checksum known here (loaded with a warning). Sizes from ADBench's Table.
_UNVERIFIED = [
    ("3_backdoor.npz", None, 95329, 196, 2.44),
    ("9_census.npz", None, 299285, 500, 6.20),
    ("13_fraud.npz", None, 284807, 29, 0.17),
    ("36_speech.npz", None, 3686, 400, 1.65),
]


def _name_of(file: str) -> str:
    return re.sub(r"^\d+_", "", file[: -len(".npz")]).lower()


def _build_registry() -> dict[str, AdbenchEntry]:
    rows = sorted(_VERIFIED + _UNVERIFIED, key=lambda r: int(r[0].split("_", 1)[0]))
    return {_name_of(f): AdbenchEntry(_name_of(f), f, h, n, d, p) for f, h, n, d, p in rows}


#: name -> :class:`AdbenchEntry`, in ADBench's numbering order.
REGISTRY: dict[str, AdbenchEntry] = _build_registry()


def _normalise(name: str) -> str:
    key = str(name).strip().lower()
    if key.endswith(".npz"):
        key = key[: -len(".npz")]
    return re.sub(r"^\d+_", "", key)


def resolve_name(name: str) -> str:
    """The registry name for ``"pendigits"``, ``"28_pendigits"``, ``"28_pendigits.npz"`` (any case).

    Raises ``ValueError`` listing the closest names when ``name`` is unknown."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"dataset name must be a non-empty string, got {name!r}")
    key = _normalise(name)
    if key in REGISTRY:
        number = re.match(r"^\s*(\d+)_", str(name))
        if number and REGISTRY[key].file.split("_", 1)[0] != number.group(1):
            raise ValueError(f"{name!r}: ADBench numbers {key!r} as {REGISTRY[key].stem!r}")
        return key
    near = difflib.get_close_matches(key, list(REGISTRY), n=5, cutoff=0.5)
    hint = f"; did you mean {', '.join(repr(n) for n in near)}?" if near else ""
    raise ValueError(f"unknown ADBench data set {name!r}{hint} (see adlab.data.adbench.list_adbench())")


def adbench_entry(name: str) -> AdbenchEntry:
    """The :class:`AdbenchEntry` for a name in any accepted spelling."""
    return REGISTRY[resolve_name(name)]


def cache_dir(path: str | os.PathLike | None = None) -> Path:
    """The download cache for ADBench files: ``path``, else ``$ADLAB_CACHE_DIR``, else ``~/.cache/adlab``;
    files go to its ``adbench/`` sub-folder."""
    root = path or os.environ.get("ADLAB_CACHE_DIR", "").strip() or Path.home() / ".cache" / "adlab"
    return Path(root).expanduser() / "adbench"


def _local_dir(data_dir) -> Path | None:
    value = data_dir if data_dir is not None else os.environ.get("ADLAB_DATA_DIR", "").strip()
    return Path(value).expanduser() if value else None


def sha256_of(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


_VERIFIED_FILES: dict[tuple[str, int, int], str] = {}  # (path, size, mtime_ns) -> sha, per process


def _verify(path: Path, entry: AdbenchEntry) -> None:
    """Check ``path`` against the entry's checksum; warn when none is known. Raises ``ValueError``."""
    if entry.sha256 is None:
        warnings.warn(f"{entry.file}: no SHA-256 is known for this large ADBench file, so it is loaded "
                      "unverified", UserWarning, stacklevel=3)
        return
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    digest = _VERIFIED_FILES.get(key) or sha256_of(path)
    if digest != entry.sha256:
        raise ValueError(f"checksum mismatch for {path}: SHA-256 {digest} but ADBench's {entry.file} is "
                         f"{entry.sha256}. The file is corrupt or a different version; delete it and retry "
                         "(or point ADLAB_DATA_DIR to a folder with the original file).")
    _VERIFIED_FILES[key] = digest


def _download(entry: AdbenchEntry, target: Path, timeout: float, deadline: float | None = None) -> None:
    """Fetch ``entry.file`` into ``target`` atomically, verifying the checksum before keeping it.

    ``timeout`` bounds each network read; ``deadline`` (seconds) bounds the whole download, so a server
    that trickles a byte every few seconds cannot keep it waiting forever."""
    base = os.environ.get("ADLAB_ADBENCH_URL", "").strip() or DEFAULT_URL
    url = base.rstrip("/") + "/" + entry.file
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=entry.file + ".", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        try:
            start = time.monotonic()
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
                read = getattr(response, "read1", response.read)      # returns after one network read
                while True:
                    if deadline is not None and time.monotonic() - start > deadline:
                        raise DownloadError(
                            f"downloading {entry.file} from {url} took longer than the deadline of {deadline:g} s "
                            f"({out.tell()} bytes received); the server is too slow. Retry, raise deadline=, or "
                            "put the ADBench .npz files in a folder and set ADLAB_DATA_DIR to it.")
                    block = read(1 << 20)
                    if not block:
                        break
                    out.write(block)
        except DownloadError:
            raise
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise DownloadError(
                f"could not download {entry.file} from {url} ({exc}). If you are offline, put the ADBench "
                f".npz files in a folder and set ADLAB_DATA_DIR to it (or set ADLAB_ADBENCH_URL to a mirror)."
            ) from exc
        _verify(tmp, entry)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def load_npz(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read an ADBench-format ``.npz`` (keys ``X``, ``y``) without pickles; validate and convert.

    Returns ``X`` (n, d) float64 and ``y`` (n,) int64 in {0, 1}."""
    with np.load(path, allow_pickle=False) as data:
        missing = {"X", "y"} - set(data.files)
        if missing:
            raise ValueError(f"{path}: expected arrays 'X' and 'y', missing {sorted(missing)}")
        X = np.asarray(data["X"], dtype=np.float64)
        y = np.asarray(data["y"]).reshape(-1)
    if X.ndim != 2 or len(X) != len(y):
        raise ValueError(f"{path}: X must be 2-D with one label per row, got X {X.shape}, y {y.shape}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError(f"{path}: y must hold 0 (normal) / 1 (anomaly)")
    return X, y.astype(np.int64)


def _find_local(entry: AdbenchEntry, data_dir, cache) -> Path | None:
    for folder in (_local_dir(data_dir), cache):
        if folder is not None and (folder / entry.file).is_file():
            return folder / entry.file
    return None


def load_adbench(name: str, *, data_dir: str | os.PathLike | None = None,
                 cache: str | os.PathLike | None = None, download: bool = True,
                 timeout: float = 60.0, deadline: float | None = 900.0) -> tuple[np.ndarray, np.ndarray]:
    """Load an ADBench Classical data set by name.

    Parameters
    ----------
    name : ``"pendigits"``, ``"28_pendigits"`` or ``"28_pendigits.npz"`` (case-insensitive).
    data_dir : a folder of ADBench files; default ``$ADLAB_DATA_DIR``.
    cache : the cache root (default ``$ADLAB_CACHE_DIR`` or ``~/.cache/adlab``); files live in ``adbench/``.
    download : fetch missing files from ``$ADLAB_ADBENCH_URL`` (default GitHub) into the cache.
    timeout : seconds allowed for each network read; deadline : seconds for the whole download
        (``None``: no limit), after which :class:`DownloadError` is raised and nothing is kept.

    Returns
    -------
    X : (n, d) float64
    y : (n,) int64, 1 = anomaly

    Raises ``ValueError`` for an unknown name or a checksum mismatch, ``FileNotFoundError`` when the file is
    absent and ``download=False``, :class:`DownloadError` when the download fails.
    """
    entry = adbench_entry(name)
    cache_folder = cache_dir(cache)
    path = _find_local(entry, data_dir, cache_folder)
    if path is None:
        if not download:
            raise FileNotFoundError(f"{entry.file} is neither in ADLAB_DATA_DIR ({_local_dir(data_dir)}) nor in "
                                    f"the cache {cache_folder}; set ADLAB_DATA_DIR or allow download=True")
        path = cache_folder / entry.file
        _download(entry, path, timeout, deadline)  # verifies (or warns) before keeping the file
    else:
        _verify(path, entry)
    X, y = load_npz(path)
    if entry.sha256 is not None and X.shape != (entry.rows, entry.cols):
        raise ValueError(f"{path}: shape {X.shape}, but the registry says ({entry.rows}, {entry.cols})")
    return X, y


def load_adbench_or_synthetic(name: str, *, n_samples: int, anomaly_ratio: float, random_state: int = 0,
                              **load_kwargs) -> tuple[np.ndarray, np.ndarray, str]:
    """ADBench ``name`` when it is local or can be downloaded, else a synthetic stand-in of the same width.

    For notebooks that must run anywhere (Colab, offline classrooms, CI without the data): the stand-in is
    :func:`adlab.data.synthetic.make_synthetic_anomaly_dataset` with global anomalies on
    ``make_base_normals(n_samples, <the data set's column count>)``, with a :class:`UserWarning` that says
    why the real file was not used. ``load_kwargs`` go to :func:`load_adbench`.

    Returns ``(X, y, label)``: label is ``name`` or ``"synthetic (global anomalies)"``.
    """
    import warnings

    n_features = adbench_entry(name).cols  # a misspelt name is a ValueError here, not a silent stand-in
    try:
        X, y = load_adbench(name, **load_kwargs)
        return X, y, name
    except (OSError, ValueError) as exc:  # offline without a local copy (DownloadError is an OSError), bad file
        from .synthetic import make_base_normals, make_synthetic_anomaly_dataset

        warnings.warn(f"ADBench file {name!r} unavailable ({exc}); using a synthetic stand-in instead",
                      UserWarning, stacklevel=2)
        X, y = make_synthetic_anomaly_dataset(make_base_normals(n_samples, n_features, random_state=random_state),
                                              kind="global", anomaly_ratio=anomaly_ratio, random_state=random_state)
        return X, y, "synthetic (global anomalies)"


def list_adbench(data_dir: str | os.PathLike | None = None,
                 cache: str | os.PathLike | None = None):
    """The registry as a ``pandas.DataFrame``: name, file, rows, cols, anomaly_pct, n_anomalies, sha256,
    ``verified`` (a checksum is known) and ``available_locally`` (in ``ADLAB_DATA_DIR`` or the cache)."""
    import pandas as pd

    cache_folder = cache_dir(cache)
    records = []
    for e in REGISTRY.values():
        rec = asdict(e)
        rec["n_anomalies"] = e.n_anomalies
        rec["verified"] = e.sha256 is not None
        rec["available_locally"] = _find_local(e, data_dir, cache_folder) is not None
        records.append(rec)
    cols = ["name", "file", "rows", "cols", "anomaly_pct", "n_anomalies", "sha256", "verified", "available_locally"]
    return pd.DataFrame.from_records(records, columns=cols)
