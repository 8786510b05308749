"""``ruralsim validate``: print a scenario fully resolved."""

from __future__ import annotations

import sys

from sim.cli.options import EXIT_OK, add_scenario, load

HELP = "validate a scenario and print it fully resolved"


def add_arguments(sub) -> None:
    """The command's arguments."""
    add_scenario(sub)


def timetable_comment(scenario) -> str:
    """The departures per depot of the fleets the delivery model runs, as YAML comments.

    Comments, so that the output still loads as the same scenario; connecting
    timetables (``departures: {after: ...}``) are known only once routes are planned.
    A scenario with own-network brands lists every network's, the public one first.
    """
    from sim.engine.brands import network_scenarios
    from sim.engine.model import all_plans
    from sim.network.services import depot_departures
    from sim.scenario.schema import Connection, format_clock

    lines = ["# Departures per depot, resolved (fleets of the delivery model):"]
    specs = network_scenarios(scenario)
    for spec, plan in zip(specs, all_plans(scenario), strict=True):
        if len(specs) > 1:
            lines.append(f"#  network {spec.name}:")
        for fleet, depots in depot_departures(plan).items():
            rule = spec.scenario.fleets[fleet].departures
            how = (
                f" (arrivals of {rule.after} + {rule.slack_min:g} min)"
                if isinstance(rule, Connection)
                else ""
            )
            lines.append(f"#   {fleet}{how}:")
            lines += [
                f"#     {depot}: {' '.join(format_clock(t) for t in times)}"
                for depot, times in depots.items()
            ]
    return "\n".join(lines) + "\n"


def run(args) -> int:
    """Print the fully resolved scenario as YAML, then each depot's departures."""
    import yaml

    scenario = load(args)
    from sim.scenario.schema import as_shown

    resolved = as_shown(scenario.model_dump(mode="json"))
    hidden = ""
    if scenario.network.source == "csv":
        hidden = (
            f"# network: {', '.join(scenario.network.SYNTHETIC_ONLY)} shape a synthetic "
            "county only; not shown for a CSV county\n"
        )
    sys.stdout.write(yaml.safe_dump(resolved, sort_keys=False, allow_unicode=True))
    sys.stdout.write(hidden + timetable_comment(scenario))
    return EXIT_OK
