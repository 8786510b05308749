"""``ruralsim validate``: print a scenario fully resolved."""

from __future__ import annotations

import sys

from sim.cli.options import EXIT_OK, add_scenario, load

HELP = "validate a scenario and print it fully resolved"


def add_arguments(sub) -> None:
    """The command's arguments."""
    add_scenario(sub)


def run(args) -> int:
    """Print the fully resolved scenario as YAML."""
    import yaml

    scenario = load(args)
    sys.stdout.write(
        yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
    )
    return EXIT_OK
