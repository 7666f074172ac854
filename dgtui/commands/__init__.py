"""The commands: the command line parsed and dispatched (``cli``, ``files``, ``serve``), the planning of a run
(``plan``) and the local engine it starts (``engine``).

The top layer: it may import every other package; nothing imports it (checked by the import contracts).
"""
