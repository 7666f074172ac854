"""Prometheus metrics: every stream's figures, read from its state when Prometheus scrapes, served over HTTP by
the well-kept client library (``prometheus_client``), with the alert rules and the dashboard that go with them.

A consumer of the states, as the recorder is: it reads and never writes back, and costs nothing on a stream's
path (the histograms' buckets are counted by the state's own series as values come).
"""
