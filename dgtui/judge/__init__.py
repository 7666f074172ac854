"""Judging streams, with no I/O: figures over states. Word errors against a reference (``accuracy``), lanes side
by side (``compare``), finals lined up by time (``alignment``), gates for CI (``gates``), the Markdown report
(``report``) and two runs compared (``rundiff``)."""
