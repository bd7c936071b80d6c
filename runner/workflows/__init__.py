"""The application layer: every workflow smm runs, one function per command.

Commands parse options, call one function here and render what it returns.  Workflows
load campaigns (one way, ``campaigns.load``), open stores and panel clients, call the
planner and the executor, and return values; they print nothing (what a person must see
while a workflow runs goes through the view the command passes in).
"""
