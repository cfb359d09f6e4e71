"""Command groups of the CLI (``pipeline models …``, ``pipeline review …``) and the
kernel every command runs through (:mod:`.kernel`).

Each group module defines a ``typer.Typer`` named ``app`` (mounted by
:mod:`pipeline.cli` under the module's name) whose commands are registered with
:func:`.kernel.command`, and imports only typer at module level, so that
``pipeline --help`` stays fast.
"""
