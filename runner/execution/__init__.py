"""Doing it at most once: the executor, the only code that changes the world.

``executor`` carries out a ``Plan`` (record ``submitting``, send ``add``, record the
outcome), ``pacer`` sends creates so that a lost answer can be settled later,
``reconciler`` (pure) decides what the panel's evidence proves about lost answers, and
``results`` holds what an apply did, as values.  It imports ``plans``, ``state``,
``panel`` and the values below them, never a renderer, a command or a workflow.
"""
