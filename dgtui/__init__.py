"""dgtui: watch Deepgram live transcription streams from the terminal."""

__version__ = "0.1.0"
