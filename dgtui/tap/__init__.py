"""The tap: a proxy in an application's own streams to Deepgram, forwarding every byte unchanged and reading a
copy of them on the side (work in progress towards ``dgtui tap``, issue 27)."""
