"""What the user writes: campaign files and the project file ``smm.yaml``.

This package owns reading them (``yamldoc``: bounded YAML that remembers positions;
``schema``: JSON Schema checks in plain sentences; ``rules``: the checks the schema cannot
express; ``campaign``: the typed, frozen ``OrderSpec`` values; ``project``: panels and
where the state lives; ``cache``: the checked specs of files that did not change since
the last run) and the reference generated from the schemas.  It imports only
``runner.api`` and the value modules (``errors``, ``money``, ``printable``), never a store,
a panel or anything above.
"""
