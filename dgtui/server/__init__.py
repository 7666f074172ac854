"""The local Deepgram-compatible server (``dgtui serve``) and its offline engine."""
