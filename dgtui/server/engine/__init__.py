"""The offline speech engine behind the local server.

Decoding runs in worker processes (pocketsphinx holds the GIL while it decodes, so a thread would stall the
server's event loop); :mod:`.pool` keeps warm workers, :mod:`.worker` is their main loop, and
:mod:`.recognizer` turns one channel of PCM into Deepgram-shaped results.
"""
