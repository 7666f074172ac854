"""Runs without a screen: ``dgtui stream`` and ``dgtui bench`` print events as they come (``printer``), then
tables (``tables``), comparisons, reports and gates (``run``, ``bench``)."""
