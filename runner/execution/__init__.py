"""Doing it at most once: the executor, the only code that changes the world.

``executor`` carries out a ``Plan`` (record ``submitting``, send ``add``, record the
outcome), ``pacer`` sends creates so that a lost answer can be settled later (look-alikes
one at a time), ``claims`` catches an order id answered for two addresses,
``reconciler`` (pure) decides what the panel's evidence proves about lost answers, over
``windows`` (the ids that hold a lost order), ``surveys`` (the own orders seen between
a lost look-alike and the next; the one read the executor makes) and ``matching``
(look-alikes in send order), and ``results`` holds what an apply did, as values.  It
imports ``plans``, ``state``, ``panel`` and the values below them, never a renderer, a
command or a workflow.
"""
