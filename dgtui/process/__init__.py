"""Process-wide helpers every layer may use, the client's and the server's alike: the redaction of secrets
(``secrets``) and keeping the C heap from creeping in a process left on for weeks (``memory``)."""
