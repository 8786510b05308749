"""The exception for bad experiment input."""

from __future__ import annotations


class ExperimentError(ValueError):
    """Bad input to an experiment: arguments, a sweep value, the results folder, a cluster.

    Scenario problems raise :class:`sim.ScenarioError` instead. The command line
    reports either as a one-line error with exit status 2.
    """
