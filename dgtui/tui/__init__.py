"""The Textual app: renders stream state on a timer; holds no protocol logic and runs no socket loop."""
