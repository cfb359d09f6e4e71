"""Command groups of the CLI (``pipeline models …``, ``pipeline review …``).

Each module defines a ``typer.Typer`` named ``app`` and imports only typer at
module level, so that ``pipeline --help`` stays fast.
"""
