"""The Textual app: renders session state on a timer; holds no protocol logic."""
