"""Deciding what to do: the pure planner and the ``Plan`` value it returns.

``planner.make_plan`` turns desired orders (``runner.config``), records (``runner.state``)
and panel facts into a ``plan.Plan`` of ``Action``s; ``fit`` checks one order against its
service and prices it.  Nothing here does I/O; it imports ``config``, ``state``'s values,
``api`` and the value modules, never the executor, a renderer or a workflow.
"""
