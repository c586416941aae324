"""``tandem sim <system>``: run a simulator standalone (each connector ships its own)."""

from __future__ import annotations

import click

from connectors.jira.simulator import sim_command as jira_sim_command

sim = click.Group("sim", help="Run a simulated tracker (a real HTTP server) for trying Tandem out.")
sim.add_command(jira_sim_command, "jira")
