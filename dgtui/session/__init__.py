"""Live sessions: one connection per stream, transcript assembly, metrics, typed events. No UI here."""
