"""The maths the notebooks teach: pure functions and small ``nn.Module`` classes, each citing its equation.

Submodules: ``networks``, ``sampling``, ``balancing`` (shared), ``pretraining`` and ``prototypes``
(MNPWAD), ``interpolation`` (RoSAS), ``memory`` (MMNet), ``losses`` (shared losses).
Import from the submodule, e.g. ``from adlab.components.prototypes import student_t_similarity``.
"""
