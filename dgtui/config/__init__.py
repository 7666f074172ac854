"""The config file (``file``) and the effective settings of a run (``settings``: command line > environment >
file > defaults). Read by the commands; nothing below them reads it."""
