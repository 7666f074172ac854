"""Modal screens: help, new stream."""
