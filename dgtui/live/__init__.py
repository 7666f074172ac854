"""The live socket loop: one connection per stream (``session``, opened by ``handshake``), its decisions made
without I/O (``lifecycle``, ``ledger``), the streams of a run (``runner``) and where they connect (``backend``),
and the capacity finder (``capacity``)."""
