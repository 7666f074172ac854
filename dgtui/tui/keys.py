"""Every key of the app in one table: the bindings, the help screen and the command palette are built from it.

Each binding has an id, as posting's do, so a keymap could remap it with Textual's ``App.set_keymap``; dgtui
does not read a keymap file yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Key:
    id: str
    keys: str  # comma-separated, Textual's syntax
    action: str
    description: str
    group: str
    show: bool = False  # in the footer
    aliases: tuple[str, ...] = ()  # other names the command palette finds it by


KEYS = [
    Key("overview", "0", "show_overview", "Overview", "Streams", show=True),
    Key("stream", "1,2,3,4,5,6,7,8,9", "", "Go to stream N", "Streams"),
    Key("next", "right_square_bracket", "next_stream", "Next stream", "Streams"),
    Key("previous", "left_square_bracket", "previous_stream", "Previous stream", "Streams"),
    Key("new", "a", "new_stream", "New stream", "Streams", show=True),
    Key("close", "x", "close_stream", "Close stream", "Streams"),
    Key("sessions", "s", "sessions", "Recorded sessions (replay one)", "Streams"),
    Key("pause", "p", "pause", "Pause / resume", "Stream", show=True),
    Key("finalize", "f", "finalize", "Finalize", "Stream", show=True, aliases=("ForceEndTurn: end the Flux turn now",)),
    Key("reconnect", "r", "reconnect", "Reconnect", "Stream"),
    Key("configure", "c", "configure", "Configure thresholds and keyterms (Flux)", "Stream"),
    Key("export", "e", "export", "Export the transcript (txt, SRT, WebVTT, JSON)", "Stream"),
    Key("interim", "i", "toggle_interim", "Interim display", "View", show=True),
    Key("inspector", "j", "toggle_inspector", "Raw JSON inspector", "View", show=True),
    Key("panels", "l", "toggle_panels", "Side panels and event log: show / hide", "View"),
    Key(
        "aligned",
        "v",
        "toggle_aligned",
        "Lanes: live transcripts / finals lined up by time",
        "View",
        aliases=("Compare lanes: aligned finals, word diff, first to finalize",),
    ),
    Key(
        "plots",
        "g",
        "toggle_plots",
        "Plots: latency over time, lanes' distributions",
        "View",
        aliases=("Graphs: latency drift and reconnects; lanes' latency and word error rate per segment",),
    ),
    Key("search", "slash", "search", "Search the transcript", "View"),
    Key("next_match", "n", "next_match", "Next match", "View"),
    Key("previous_match", "N", "previous_match", "Previous match", "View"),
    Key("follow", "end,G", "follow", "Follow new text", "View"),
    Key("faster", "greater_than_sign", "replay_speed(2.0)", "Replay faster", "Replay"),
    Key("slower", "less_than_sign", "replay_speed(0.5)", "Replay slower", "Replay"),
    Key("jump", "J", "replay_jump", "Replay: jump to the end", "Replay"),
    Key("help", "question_mark,f1", "help", "Help", "App", show=True),
    Key("quit", "q", "quit", "Quit (closes every stream)", "App", show=True),
]


def bindings() -> list[Binding]:
    result = []
    for key in KEYS:
        if key.id == "stream":
            result += [
                Binding(str(n), f"show_stream({n})", f"Stream {n}", show=False, id=f"stream_{n}") for n in range(1, 10)
            ]
            continue
        result.append(Binding(key.keys, key.action, key.description, show=key.show, id=key.id))
    return result


def display_keys(key: Key) -> str:
    names = {"right_square_bracket": "]", "left_square_bracket": "[", "slash": "/", "question_mark": "?",
             "greater_than_sign": ">", "less_than_sign": "<"}  # fmt: skip
    if key.id == "stream":
        return "1-9"
    return " / ".join(names.get(k, k) for k in key.keys.split(","))
