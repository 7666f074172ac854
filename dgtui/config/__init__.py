"""Configuration: the config file (``file``), the command-line flags (``flags``, ``lanes``), the backend choice
(``backend``) and the effective settings of a run (``settings``: command line > environment > file > defaults)."""
