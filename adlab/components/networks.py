"""MLP builders shared by the detectors."""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

__all__ = ["mlp", "make_activation"]


def make_activation(name: str) -> nn.Module:
    """``"relu" | "leaky_relu" | "tanh" | "sigmoid" | "identity"`` -> module (LeakyReLU slope 0.01)."""
    table = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
             "identity": nn.Identity}
    if name not in table:
        raise ValueError(f"unknown activation {name!r}; choose from {sorted(table)}")
    return table[name]()


def mlp(sizes: Sequence[int], activation: str = "leaky_relu", final_activation: str | None = None,
        bias: bool = True) -> nn.Sequential:
    """Linear layers ``sizes[0] -> sizes[1] -> ... -> sizes[-1]``.

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
