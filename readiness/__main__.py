"""``python -m readiness``: the command line. Imports the engine only, never Django."""

from readiness.engine.cli import console_main

console_main(prog="python -m readiness")
