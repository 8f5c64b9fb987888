"""``python -m readiness``: the command line. Imports the engine only, never Django."""

from readiness.engine.cli import main

raise SystemExit(main(prog="python -m readiness"))
