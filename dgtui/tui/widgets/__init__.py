"""Widgets of the dgtui app, one view of session state each."""
