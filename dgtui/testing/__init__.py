"""Testing applications against a local Deepgram: the server with faults, watched (:mod:`.local`), and the pytest
plugin (:mod:`.plugin`)."""
