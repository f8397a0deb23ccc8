"""Run the command line with ``python -m bot``."""

from bot.entrypoints.cli import main

main()
