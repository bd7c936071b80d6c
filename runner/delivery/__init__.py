"""What became of placed orders: where each order's delivery stands, as values.

``rows`` turns the state's records into the rows ``smm status`` and the report show.  It
imports only ``state``'s values, ``api`` and the value modules; the status workflow builds
the rows and the renderers print them.
"""
