"""Notifications: what happened that a person should hear about (``events``), sent to the
receivers of ``notify:`` in smm.yaml with Apprise (``send``), each event once.

Sending is an effect, called by the workflows after refresh and apply; which events were
sent is recorded in the state, so that a job running every ten minutes, or two runners on
one shared state, never repeat one.  A failed or silent receiver is a warning and a
retry at the next run, never a failed command.
"""
