"""Autoencoder pretraining (MNPWAD §III-F "Pre-training and Initialization", following
Xie et al.'s DEC): greedy layer-wise denoising autoencoders, then end-to-end fine-tuning of the
stacked autoencoder on clean inputs.

The architecture is the reference code's: ``Linear → LeakyReLU`` after *every* layer, the
latent and the output included (slope 0.01), no batch norm, no dropout.

Differences from the reference code (``docs/references/mnpwad.md`` §1.3), by design:

* mini-batches really have ``batch_size`` rows (a slicing bug makes the reference train on the
  last 8 rows of each 136-row batch);
* the denoising noise ``N(0, noise_std²)`` is redrawn for every mini-batch (standard denoising;
  the reference draws it once per layer and keeps it fixed);
* an epoch is one shuffled pass over the data, capped at ``max_batches_per_epoch`` batches
  (the reference: 64 random batches);
* early stopping (patience on the reconstruction MSE of ``X_val``) happens only when ``X_val`` is
  given — the reference always uses the validation *normals* for it — and the best state is
  always restored in that case (adlab's one rule, :class:`adlab.components.training.EarlyStopping`).
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .networks import mlp
from .training import EarlyStopping, run_epochs

__all__ = ["default_hidden_dims", "build_autoencoder", "pretrain_autoencoder"]


def default_hidden_dims(n_features: int, n_emb: int = 8) -> tuple[int, int]:
    """The reference's widths ``(D − (D − H)//2, H)``: Pendigits 16 → (12, 8), Gamma 10 → (9, 8).

    The same formula for D ≤ H, where it *widens*: the first width is D + ⌈(H − D)/2⌉, between D
    and H (D = 4 → (6, 8), D = 5 → (7, 8), D = H → (H, H)); Python's ``//`` floors toward −∞.
    """
    d, h = int(n_features), int(n_emb)
    if d < 1 or h < 1:
        raise ValueError(f"n_features and n_emb must be positive, got {n_features}, {n_emb}")
    return (max(d - (d - h) // 2, 1), h)


def build_autoencoder(n_features: int, hidden_dims: Sequence[int]) -> tuple[nn.Sequential, nn.Sequential]:
    """Encoder ψ (Eq. 1) and decoder ψ' (Eq. 2): mirrored MLPs with LeakyReLU after every layer.

    Encoder: ``D → h_1 → … → h_L`` (input (n, D) → z (n, h_L)); decoder: ``h_L → … → h_1 → D``.
    Layer l of the encoder is ``encoder[2l]`` (Linear) + ``encoder[2l+1]`` (LeakyReLU); its mirror
    in the decoder is ``decoder[2(L−1−l)]`` + ``decoder[2(L−1−l)+1]``.
    """
    dims = [int(n_features), *[int(h) for h in hidden_dims]]
    if len(dims) < 2 or any(d < 1 for d in dims):
        raise ValueError(f"hidden_dims must list at least one positive width, got {list(hidden_dims)}")
    encoder = mlp(dims, activation="leaky_relu", final_activation="leaky_relu")
    decoder = mlp(dims[::-1], activation="leaky_relu", final_activation="leaky_relu")
    return encoder, decoder


def _train_reconstruction(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor, *, epochs: int,
                          batch_size: int, lr: float, weight_decay: float, noise_std: float,
                          generator: torch.Generator | None, max_batches_per_epoch: int | None,
                          val: tuple[torch.Tensor, torch.Tensor] | None, patience: int, min_delta: float,
                          stage: str, history: list) -> None:
    """Minimise MSE(model(inputs + noise), targets) with Adam through the shared loop
    (:func:`adlab.components.training.run_epochs`); optional early stopping on ``val``."""
    n = inputs.shape[0]
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = nn.MSELoss()
    bs = min(int(batch_size), n)
    steps = max(1, -(-n // bs))
    if max_batches_per_epoch is not None:
        steps = min(steps, int(max_batches_per_epoch))
    shuffled = {"perm": None, "next": 0}

    def start_epoch(epoch: int) -> None:
        model.train()
        shuffled["perm"] = torch.randperm(n, generator=generator, device=inputs.device)
        shuffled["next"] = 0

    def step() -> torch.Tensor:
        b = shuffled["next"]
        shuffled["next"] = b + 1
        idx = shuffled["perm"][b * bs:(b + 1) * bs]
        if idx.numel() == 0:           # capped pass wrapped past the end: reshuffle
            idx = torch.randperm(n, generator=generator, device=inputs.device)[:bs]
        xb = inputs[idx]
        if noise_std > 0:
            xb = xb + noise_std * torch.randn(xb.shape, generator=generator, device=xb.device, dtype=xb.dtype)
        return loss_fn(model(xb), targets[idx])

    def validate(epoch: int) -> dict:
        model.eval()
        with torch.no_grad():
            return {"val_loss": float(loss_fn(model(val[0]), val[1]))}

    early = {}
    if val is not None:
        early = dict(validate=validate, monitor="val_loss", stopper=EarlyStopping(patience, min_delta),
                     modules={"model": model})
    history.extend(run_epochs(opt, step, epochs=int(epochs), steps=steps, names=("loss",),
                              on_epoch_end=lambda epoch: {"stage": stage, "epoch": epoch},
                              owner=f"autoencoder pretraining ({stage})", on_epoch_start=start_epoch, **early))
    model.eval()


def pretrain_autoencoder(X: torch.Tensor, hidden_dims: Sequence[int], epochs: int = 20, batch_size: int = 128,
                         lr: float = 5e-3, weight_decay: float = 5e-4, noise_std: float = 0.05,
                         finetune_epochs: int = 20, generator: torch.Generator | None = None,
                         X_val: torch.Tensor | None = None, patience: int = 15, min_delta: float = 1e-4,
                         max_batches_per_epoch: int | None = 64):
    """Layer-wise denoising pretraining, then end-to-end fine-tuning (§III-F, after DEC).

    Stage l (l = 1…L) trains the one-hidden-layer DAE ``h_{l−1} → h_l → h_{l−1}`` to reconstruct
    the *clean* codes of the previous (already trained, frozen) layers from a noisy copy
    (``+ N(0, noise_std²)``), with MSE and Adam. The stacked encoder/decoder are then fine-tuned
    jointly on clean inputs for ``finetune_epochs``.

    Parameters
    ----------
    X : (n, D) float tensor on the training device — the *unlabeled* data (paper).
    hidden_dims : widths (h_1, …, h_L), e.g. :func:`default_hidden_dims`.
    epochs : epochs of each layer-wise stage; ``finetune_epochs`` for the final stage.
    batch_size, lr, weight_decay : mini-batch size and Adam settings (reference: lr 5e-3, wd 5e-4).
    noise_std : denoising noise σ (reference: 0.05); 0 turns the DAEs into plain AEs.
    generator : torch.Generator on X's device for shuffling and noise (determinism).
    X_val : optional (m, D) tensor (e.g. validation normals): when given, every stage stops
        early after ``patience`` epochs without a ``min_delta`` improvement of its validation
        MSE and restores its best state (the reference behaviour); else the schedule is fixed.
    max_batches_per_epoch : cap on mini-batches per epoch (keeps large data sets fast).

    Returns
    -------
    encoder, decoder : the modules of :func:`build_autoencoder`, trained, in eval mode.
    history : list of dicts ``{"stage", "epoch", "loss"[, "val_loss"]}``.
    """
    if X.ndim != 2 or X.shape[0] < 2:
        raise ValueError(f"X must be (n >= 2, D), got shape {tuple(X.shape)}")
    if int(batch_size) < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    encoder, decoder = build_autoencoder(X.shape[1], hidden_dims)
    encoder.to(X.device)
    decoder.to(X.device)
    n_layers = len(hidden_dims)
    history: list = []
    common = dict(batch_size=batch_size, lr=lr, weight_decay=weight_decay, generator=generator,
                  max_batches_per_epoch=max_batches_per_epoch, patience=patience, min_delta=min_delta,
                  history=history)
    codes = X
    val_codes = X_val
    for layer in range(n_layers):
        enc_part = encoder[2 * layer: 2 * layer + 2]
        j = n_layers - 1 - layer
        dec_part = decoder[2 * j: 2 * j + 2]
        dae = nn.Sequential(enc_part, dec_part)       # shares parameters with encoder/decoder
        val = None if val_codes is None else (val_codes, val_codes)
        _train_reconstruction(dae, codes, codes, epochs=epochs, noise_std=noise_std, val=val,
                              stage=f"layer{layer + 1}", **common)
        with torch.no_grad():                           # clean codes feed the next layer
            codes = enc_part(codes)
            val_codes = None if val_codes is None else enc_part(val_codes)
    autoencoder = nn.Sequential(encoder, decoder)
    val = None if X_val is None else (X_val, X_val)
    _train_reconstruction(autoencoder, X, X, epochs=finetune_epochs, noise_std=0.0, val=val,
                          stage="finetune", **common)
    encoder.eval()
    decoder.eval()
    return encoder, decoder, history
