"""Recordings on disk: written and rotated (``writer``, ``segments``), kept (``retention``), listed (``listing``,
``catalog``), read (``reader``, ``runs``), played back (``player``, ``replay``) and exported (``export``)."""
