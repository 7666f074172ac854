"""The commands: argument parsing, backend choice and the wiring of sources, sessions and views.

The top layer: it may import every other package; nothing imports it (checked by the import contracts).
"""
