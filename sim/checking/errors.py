"""The errors of a regression check (exit status 2 on the command line)."""

from __future__ import annotations


class CheckError(ValueError):
    """Bad input to a regression check: arguments, scenarios or baseline files."""


class BaselineError(CheckError):
    """A baseline file is missing, unreadable, corrupt or for another scenario."""
