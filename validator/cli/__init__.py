"""The ``ftdata`` command: a thin shell over the library (``main``), the option helpers every
validating command shares (``options``), the ``rules`` command (``rules``), the ``stats`` and
``report`` commands (``data``) and the terminal progress line (``progress``)."""
