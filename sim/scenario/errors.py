"""The one exception type raised for anything wrong with a scenario."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Problem = tuple[str | None, str, str]
"""One problem: ``(file, yaml_path, message)``."""

GIVEN_MAX_CHARS = 60
"""Longest given value quoted in a message; a longer one is cut with ``...``."""


def truncate(text: str) -> str:
    """*text*, cut to :data:`GIVEN_MAX_CHARS` so a huge value cannot flood a message."""
    if len(text) > GIVEN_MAX_CHARS:
        text = text[: GIVEN_MAX_CHARS - 3] + "..."
    return text


def short_repr(value: Any) -> str:
    """``repr(value)``, truncated: how messages quote what was given."""
    return truncate(repr(value))


def _render(file: str | None, yaml_path: str, message: str) -> str:
    return ": ".join(part for part in (file, yaml_path, message) if part)


class ScenarioError(Exception):
    """A scenario file, ``extends`` chain or ``--set`` override is invalid.

    Parameters
    ----------
    file : str or None
        File the problem is in (``"--set"`` for command-line overrides), if known.
    yaml_path : str
        Dotted path inside the YAML document, e.g. ``hub.sorting.rate_per_h`` or
        ``services.2.stops``; empty if the problem concerns the whole file.
    message : str
        What is wrong, what was given and, where it helps, what is allowed.

    Attributes
    ----------
    problems : list of tuple
        Every problem as ``(file, yaml_path, message)``; the attributes ``file``,
        ``yaml_path`` and ``message`` describe the first one.

    Examples
    --------
    >>> str(ScenarioError("x.yaml", "hub.sorting.rate_per_h", "must be > 0 (given: 0)"))
    'x.yaml: hub.sorting.rate_per_h: must be > 0 (given: 0)'
    """

    def __init__(self, file: str | None, yaml_path: str, message: str) -> None:
        super().__init__(file, yaml_path, message)
        self.file = file
        self.yaml_path = yaml_path
        self.message = message
        self.problems: list[Problem] = [(file, yaml_path, message)]

    @classmethod
    def from_problems(cls, problems: Iterable[Problem]) -> ScenarioError:
        """Bundle several problems into one error, rendered one line per problem.

        Parameters
        ----------
        problems : iterable of tuple
            ``(file, yaml_path, message)`` triples; at least one.

        Returns
        -------
        ScenarioError
            An error whose attributes describe the first problem.
        """
        problems = list(problems)
        if not problems:
            raise ValueError("from_problems needs at least one problem")
        err = cls(*problems[0])
        err.problems = problems
        return err

    def in_file(self, file: str) -> ScenarioError:
        """The same error, naming *file* where a problem had no file of its own.

        Problems found after validation (while planning routes or bus lines) know
        their YAML path but not which file set it.
        """
        return ScenarioError.from_problems(
            (problem_file or file, path, message) for problem_file, path, message in self.problems
        )

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return _render(*self.problems[0])
        lines = [f"{len(self.problems)} problems in scenario:"]
        lines += ["  " + _render(*problem) for problem in self.problems]
        return "\n".join(lines)

    def __reduce__(self):
        # Exception pickling replays ``args`` only, which would drop all but the
        # first problem when the error crosses a process pool.
        return type(self).from_problems, (self.problems,)
