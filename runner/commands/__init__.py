"""The commands: each parses its options, calls one workflow and renders the result.

Modules here import only click and ``runner.commands.options`` at import time, so that
``smm --help`` stays fast; workflows and renderers are imported when a command runs.
"""
