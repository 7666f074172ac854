"""Audio: sources that yield PCM with an exact audio cursor, and incremental decoding with PyAV."""
