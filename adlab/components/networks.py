"""MLP builders shared by the detectors, and the fp32 score heads used under bf16 autocast.

With the ``amp`` switch on (``adlab.config.set_performance(amp=True)``) forward passes run under bf16
autocast. bf16 keeps 8 significant bits, so a score computed in bf16 takes one of 128 values per
power of two, and thousands of distinct test scores collapse into a few hundred ties (which breaks
AUC-PR and thresholds). Every detector therefore computes its *score head* (the last layers that turn features
into the anomaly score) in float32 with autocast switched off (:func:`fp32`, :func:`mlp_fp32_head`);
the wide hidden layers keep the bf16 speed-up. Without autocast these helpers call the layers as they
are, so the default (fp32) path is unchanged bit for bit.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

__all__ = ["mlp", "make_activation", "autocast_on", "fp32", "mlp_fp32_head"]


def make_activation(name: str) -> nn.Module:
    """``"relu" | "leaky_relu" | "tanh" | "sigmoid" | "identity"`` -> module (LeakyReLU slope 0.01)."""
    table = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
             "identity": nn.Identity}
    if name not in table:
        raise ValueError(f"unknown activation {name!r}; choose from {sorted(table)}")
    return table[name]()


def mlp(sizes: Sequence[int], activation: str = "leaky_relu", final_activation: str | None = None,
        bias: bool = True) -> nn.Sequential:
    """A multilayer perceptron: linear layers ``sizes[0] -> sizes[1] -> … -> sizes[-1]``.

    ``activation`` follows every hidden layer; ``final_activation`` (default: same as
    ``activation``; ``"identity"`` for none) follows the last one.
    Input (n, sizes[0]) -> output (n, sizes[-1]).
    """
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or any(s <= 0 for s in sizes):
        raise ValueError(f"sizes must list at least two positive widths, got {sizes}")
    final_activation = activation if final_activation is None else final_activation
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b, bias=bias))
        last = i == len(sizes) - 2
        layers.append(make_activation(final_activation if last else activation))
    return nn.Sequential(*layers)


def autocast_on(device_type: str) -> bool:
    """Whether autocast is active for ``device_type`` (``"cpu"``, ``"cuda"``) right now."""
    try:
        return torch.is_autocast_enabled(device_type)
    except TypeError:  # pragma: no cover - torch < 2.4
        return torch.is_autocast_cpu_enabled() if device_type == "cpu" else torch.is_autocast_enabled()


def fp32(fn, *tensors):
    """``fn(*tensors)``, but in float32 with autocast off when autocast is active (a score head under
    ``amp``): floating tensors are cast to float32 first, ``None`` entries are passed through.
    Without autocast it is exactly ``fn(*tensors)``."""
    first = next((t for t in tensors if isinstance(t, torch.Tensor)), None)
    if first is None or not autocast_on(first.device.type):
        return fn(*tensors)
    cast = [t.float() if isinstance(t, torch.Tensor) and t.is_floating_point() else t for t in tensors]
    with torch.autocast(device_type=first.device.type, enabled=False):
        return fn(*cast)


def mlp_fp32_head(net: nn.Sequential, x: torch.Tensor) -> torch.Tensor:
    """Run an :func:`mlp` with its last Linear layer (and the activation after it) in float32 under
    autocast (:func:`fp32`); the hidden layers run at the autocast precision. (n, in) -> (n, out)."""
    last = max(i for i, m in enumerate(net) if isinstance(m, nn.Linear))
    return fp32(net[last:], net[:last](x) if last else x)
