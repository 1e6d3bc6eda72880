"""Calibrate scenario inputs from data: duration distributions and demand (volume, trend, seasonality).

``python run_sim.py calibrate durations FILE.csv --column days`` fits exponential, gamma, lognormal and
Weibull distributions by maximum likelihood (location fixed at 0), adds the empirical distribution, ranks
them by AIC, reports Kolmogorov-Smirnov distances, draws QQ plots and prints the winner as the YAML block
a scenario takes. ``python run_sim.py calibrate arrivals FILE.csv`` fits a Poisson log-linear model to
monthly counts and prints a ``demand.<case_type>`` block. Both validate what they print with the scenario
schema. The same fits are available to notebooks: :func:`fit_durations`, :func:`best_yaml`,
:func:`fit_arrivals`. See docs/calibration.md.
"""

from sim.scenario.calibration.arrivals import ArrivalFit, fit_arrivals, format_arrivals
from sim.scenario.calibration.data import (
    FAMILIES,
    CalibrationError,
    CalibrationWarning,
    Locate,
    blank_cells,
    first_index,
    numeric_column,
    plural,
    read_csv,
    require_column,
    safe_stem,
)
from sim.scenario.calibration.durations import Fit, best_yaml, fit_durations, format_table

__all__ = [
    "FAMILIES",
    "ArrivalFit",
    "CalibrationError",
    "CalibrationWarning",
    "Fit",
    "Locate",
    "best_yaml",
    "blank_cells",
    "first_index",
    "fit_arrivals",
    "fit_durations",
    "format_arrivals",
    "format_table",
    "numeric_column",
    "plural",
    "read_csv",
    "require_column",
    "safe_stem",
]
