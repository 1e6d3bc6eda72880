"""Which free parameters the targets can pin: read from a sensitivity matrix at the fit.

The matrix ``S`` has one row per fitted target and one column per parameter: the change in the target, as a
share of its published value, per change of the parameter over its whole range (a finite difference at the
fit, on the same seeds). Weighted by the square roots of the target weights it is the local Jacobian of the
objective's residuals in the unit cube the optimiser searches, so its singular values say how sharply the
objective curves in each direction:

* a parameter whose column is near zero moves no target: the fit cannot pin it (it stays where it started);
* a parameter whose step moves no fitted target by more than its replication noise (standard errors of the
  mean, when there are two replications or more) may only have caught a jump of the noisy objective: its
  column cannot be trusted, and it is not identified either;
* a small singular value (below the largest divided by ``condition_limit``) is a direction along which
  parameters trade off against each other with the targets unchanged: the parameters that carry it are
  confounded, and only their combination is pinned. More parameters than fitted targets always leaves such
  directions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CARRIES_DIRECTION_SHARE = 0.5
"""A parameter carries a weak direction when its loading is at least this share of the direction's largest."""


@dataclass(frozen=True)
class Identifiability:
    """The verdict on each parameter, with the singular values behind it."""

    names: list[str]
    response: np.ndarray  # per parameter: norm of its weighted column
    step_over_noise: np.ndarray  # per parameter: largest change of a fitted target in standard errors (NaN: none)
    singular_values: np.ndarray  # largest first; zeros for directions no target sees
    condition_number: float
    weakest_direction: dict[str, float]  # parameter -> loading (unit length)
    identified: dict[str, bool]
    verdicts: dict[str, str]

    def describe_weakest(self) -> str:
        """``+0.71 adjournment -0.70 sitting_hours``: the combination the targets see least."""
        return " ".join(f"{v:+.2f} {name}" for name, v in self.weakest_direction.items() if abs(v) >= 0.005)


def _svd(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Singular values (one per parameter, zeros beyond the rank) and right singular vectors as rows."""
    parameters = matrix.shape[1]
    if matrix.shape[0] == 0:
        return np.zeros(parameters), np.eye(parameters)
    _, values, vectors = np.linalg.svd(matrix, full_matrices=True)
    return np.concatenate([values, np.zeros(parameters - len(values))]), vectors


def assess(
    sensitivity: np.ndarray,
    weights: np.ndarray,
    names: list[str],
    *,
    min_response: float,
    condition_limit: float,
    step_over_noise: np.ndarray | None = None,
    noise_multiple: float = 1.0,
) -> Identifiability:
    """Verdicts from ``sensitivity`` (fitted targets x parameters, relative change per range) and the weights;
    ``step_over_noise`` (per parameter, NaN when unknown) is the largest change a step made to a fitted target,
    in standard errors of its mean."""
    weighted = np.sqrt(np.asarray(weights, dtype=float))[:, None] * np.asarray(sensitivity, dtype=float)
    weighted = np.nan_to_num(weighted, nan=0.0)
    response = np.linalg.norm(weighted, axis=0)
    values, vectors = _svd(weighted)
    largest = values.max() if len(values) else 0.0
    condition = float(largest / values[-1]) if values[-1] > 0 else float("inf")
    weakest = vectors[-1] * (np.sign(vectors[-1][np.argmax(np.abs(vectors[-1]))]) or 1.0)
    verdicts: dict[str, str] = {}
    noise = np.full(len(names), np.nan) if step_over_noise is None else np.asarray(step_over_noise, dtype=float)
    silent = response < min_response
    for j, name in enumerate(names):
        if silent[j]:
            verdicts[name] = (
                f"not identified: no fitted target responds (response {response[j]:.3g} over the whole range, "
                f"below {min_response:g})"
            )
        elif noise[j] < noise_multiple:  # False for NaN
            verdicts[name] = (
                f"not identified: its step moves no fitted target beyond the replication noise (at most "
                f"{noise[j]:.2g} standard errors)"
            )
    keep = np.flatnonzero(~silent)
    if len(keep):
        kept_values, kept_vectors = _svd(weighted[:, keep])
        top = kept_values.max()
        for value, vector in zip(kept_values, kept_vectors, strict=True):
            if top > 0 and value * condition_limit >= top:
                continue
            loads = np.abs(vector)
            carriers = [names[keep[k]] for k in np.flatnonzero(loads >= CARRIES_DIRECTION_SHARE * loads.max())]
            for name in carriers:
                others = [c for c in carriers if c != name]
                partner = f"confounded with {', '.join(others)}" if others else "too weakly seen"
                verdicts.setdefault(
                    name,
                    f"not identified: {partner} (singular value {value:.3g} against {top:.3g}; only a combination "
                    "is pinned)",
                )
    for name in names:
        verdicts.setdefault(name, "identified")
    return Identifiability(
        names=list(names),
        response=response,
        step_over_noise=noise,
        singular_values=values,
        condition_number=condition,
        weakest_direction={name: float(v) for name, v in zip(names, weakest, strict=True)},
        identified={name: verdicts[name] == "identified" for name in names},
        verdicts=verdicts,
    )
