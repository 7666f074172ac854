"""One stream as data, with no I/O: the typed events that change it and their one encoding (``events``,
``encoding``), the state they are applied to in one place (``stream``), its parts (``transcript``, ``turns``,
``metrics``, ``reach``, ``health``, ``usage``) and what a view holds of a stream (``controls``)."""
