"""Registry of detectors by name, so the CLI, benchmarks and ``WeakDetector.load`` find every
method without scattered imports. A method is listed as ``"module:Class"`` and imported lazily;
a module that has not landed yet is reported as unavailable instead of breaking the package.
"""
from __future__ import annotations

import importlib

__all__ = ["DETECTORS", "get_detector_class", "available_detectors", "make_detector"]

#: public name -> "module:Class" (module relative to ``adlab.models``)
DETECTORS: dict[str, str] = {
    "MNPWAD": "mnpwad:MNPWAD",
    "RoSAS": "rosas:RoSAS",
    "MMNet": "mmnet:MMNet",
    "SyntheticAnomalyClassifier": "synthetic_classifier:SyntheticAnomalyClassifier",
    "DevNet": "baselines:DevNet",
    "DeepSAD": "baselines:DeepSAD",
    "PReNet": "baselines:PReNet",
    "FeaWAD": "baselines:FeaWAD",
    "IsolationForest": "baselines:IsolationForest",
}


def _lookup(name: str) -> str:
    for key, target in DETECTORS.items():
        if key.lower() == str(name).lower():
            return target
    raise ValueError(f"unknown detector {name!r}; known detectors: {', '.join(DETECTORS)}")


def get_detector_class(name: str):
    """The class registered under ``name`` (case-insensitive). ValueError if unknown/unavailable."""
    module_name, cls_name = _lookup(name).split(":")
    try:
        module = importlib.import_module(f"adlab.models.{module_name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"adlab.models.{module_name}":
            raise ValueError(f"detector {name!r} is registered but its module adlab.models.{module_name} "
                             "is not available in this version") from exc
        raise
    return getattr(module, cls_name)


def available_detectors() -> list[str]:
    """Names whose implementation module is present in this installation.

    Found with :func:`importlib.util.find_spec`, without importing the modules (and torch): listing or
    validating names stays cheap, e.g. in the parent process of a parallel ``adlab bench`` run. A present
    module that fails to import still raises, with its own error, in :func:`get_detector_class`.
    """
    import importlib.util

    return [name for name, target in DETECTORS.items()
            if importlib.util.find_spec(f"adlab.models.{target.split(':')[0]}") is not None]


def make_detector(name: str, **params):
    """Instantiate a registered detector with keyword hyper-parameters."""
    return get_detector_class(name)(**params)
