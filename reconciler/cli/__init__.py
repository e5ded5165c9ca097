"""The command line: thin click commands over the domain modules."""

from reconciler.cli.main import main

__all__ = ["main"]
