"""The simulated panel: a faithful SMM panel for demos and tests, in-process or over HTTP."""
