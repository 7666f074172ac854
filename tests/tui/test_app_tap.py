"""The app as ``dgtui tap`` runs it, against the real local server: the tap starts with the app, each of the
app's connections arrives as a card and a tab, its other traffic as a flow, a closed stream stays until
dismissed, and the keys that would act on a connection say it is the app's."""

from __future__ import annotations

import httpx
import websockets

from dgtui.tap.runner import TapRunner
from dgtui.tui.app import DgtuiApp
from dgtui.tui.widgets.flows import FlowsView
from tests.support.audio import clip_pcm
from tests.tui.test_app_live import SIZE, screen_text, until


async def test_the_apps_streams_arrive_as_cards_and_tabs_and_stay_until_dismissed(make_server):
    upstream = make_server(engine="synthetic")
    runner = TapRunner(upstream.url)
    app = DgtuiApp(runner, backend_label="tap → test")
    notices: list[str] = []
    app.notify = lambda message, **kwargs: notices.append(str(message))  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: runner.listening, what="the tap to listen")
        greeting = f"Point your app's Deepgram SDK at {runner.url}"  # its port, now known, where the app sees it
        await until(pilot, lambda: greeting in screen_text(app).replace("&#x27;", "'"), what="the greeting")
        pcm = clip_pcm("weather")[: 32000 * 2]
        async with websockets.connect(f"{runner.url}/v1/listen?encoding=linear16&sample_rate=16000&tag=app-1") as ws:
            await until(pilot, lambda: len(app.panes) == 1, what="the stream's tab")
            for offset in range(0, len(pcm), 6400):
                await ws.send(pcm[offset : offset + 6400])
            await ws.send('{"type":"CloseStream"}')
            async for _ in ws:
                pass
        session = next(iter(app.panes.values()))
        await until(pilot, lambda: session.state.connection.phase.value == "closed", what="the stream to close")
        async with httpx.AsyncClient() as client:
            answer = await client.post(f"{runner.url.replace('ws://', 'http://')}/v1/listen", content=b"x" * 10)
        await until(pilot, lambda: len(runner.flows.flows) == 1 and runner.flows.flows[0].ended is not None)
        await pilot.pause(0.3)
        assert "app-1" in screen_text(app) and "closed" in screen_text(app)  # still on the wall once closed
        await pilot.press("1")
        await until(pilot, lambda: app.current_view() is not None, what="the tab's view, made when first shown")
        await pilot.pause(0.3)
        assert "sending" in screen_text(app) and "tapped from 127.0.0.1" in screen_text(app)
        await pilot.press("f")
        assert notices[-1] == "app-1 has no controls (an application's stream: dgtui only watches it)."
        await pilot.press("0", "right_square_bracket")  # the Flows tab, after the Overview
        await until(pilot, lambda: app.tabs.active == "flows-tab", what="the Flows tab")
        table = app.query_one("#flows", FlowsView)
        await until(pilot, lambda: table.row_count == 1, what="the flow's row")
        assert table.row_count == 1 and answer.status_code == 405  # dgtui serve serves no pre-recorded POST
        await pilot.press("1", "x")
        await pilot.pause(0.2)
        assert app.panes == {} and notices[-1] == "Dismissed app-1." and runner.sessions == []
