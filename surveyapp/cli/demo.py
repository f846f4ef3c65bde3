"""``surveyapp demo``: the seeding itself lives in ``surveyapp.demo.seed``."""

from __future__ import annotations

import click


# No app context: the demo builds (and serves) its own app from the instance folder.
@click.command("demo")
@click.option("--port", default=5000, show_default=True)
@click.option("--fresh", is_flag=True, help="Delete the demo database and seed it again.")
@click.option("--no-serve", is_flag=True, hidden=True, help="Seed only (tests, CI).")
def demo(port: int, fresh: bool, no_serve: bool) -> None:
    """Create or upgrade the SQLite database, seed the demo once, serve on 127.0.0.1."""
    from surveyapp.demo.seed import run_demo

    run_demo(port=port, fresh=fresh, serve=not no_serve)


COMMANDS = (demo,)
