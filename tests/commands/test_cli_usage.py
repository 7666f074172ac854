"""The usage meter on the command line: the summary's usage and cost against hand-computed figures, prices from
the config file, and no figure (but the reason) where there is no price."""

from __future__ import annotations

import json

import pytest

from tests.support.cli import dgtui


@pytest.fixture
def priced(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[prices]\nas_of = "2026-11-30"\nall_backends = true\nstreams = 25\n'
                    '[prices.addons]\nkeyterm = 0.0013\n')  # fmt: skip
    return {"DGTUI_CONFIG": str(path)}


def summary(result) -> list[dict]:  # type: ignore[no-untyped-def]
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
    return next(line for line in lines if line.get("type") == "dgtui.Summary")["streams"]


def test_the_summary_meters_the_audio_and_prices_it_from_the_config_file(server, talk, priced):
    result = dgtui("stream", str(talk), "--fast", "--url", server.url, "--json", "--keyterm", "council",
                   "--no-record", env=priced)  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    (stream,) = summary(result)
    usage, cost = stream["usage"], stream["cost"]
    assert usage["billed_s"] == 8.0 and usage["resent_s"] == 0.0 and usage["addons"] == ["keyterm"]
    assert usage["model"] == "nova-3" and usage["billed_by"] == "url" and 0 < usage["connection_s"] < 30
    rate = 0.0048 + 0.0013  # nova-3 (dgtui's default) and keyterm (the file's), per audio minute
    assert cost["usd"] == pytest.approx(8.0 / 60 * rate, abs=1e-6)
    assert cost["per_hour_usd"] == pytest.approx(60 * rate, abs=1e-4) and cost["month_streams"] == 25
    assert cost["per_month_usd"] == pytest.approx(60 * rate * 730 * 25, abs=0.01)
    plain = dgtui("stream", str(talk), "--fast", "--url", server.url, "--keyterm", "council", "--no-record",
                  env=priced)  # fmt: skip
    said = plain.stderr.decode()
    assert "usage and cost · prices: config file, as of 2026-11-30" in said, said
    assert "per month ×25" in said and "$0.0008   $0.3660  $6,680" in said  # 8 s; 0.0061 a minute; 730 h x 25


def test_no_price_no_figure(server, talk, priced):
    result = dgtui("stream", str(talk), "--fast", "--url", server.url, "--json", "--model", "nova-2",
                   "--no-record", env=priced)  # fmt: skip
    (stream,) = summary(result)
    assert stream["cost"] == {"usd": None, "reason": "no price for the model nova-2: set it under [prices.models]"}
    unpriced = dgtui("stream", str(talk), "--fast", "--url", server.url, "--no-record")  # the defaults: cloud only
    assert "not Deepgram's cloud: not priced" in unpriced.stderr.decode()
    local = dgtui("stream", str(talk), "--fast", "--local", "--no-record")
    assert "cost: none (the local engine is not billed)" in local.stderr.decode()


def test_a_bad_price_names_the_file_line_and_key(tmp_path, talk):
    path = tmp_path / "config.toml"
    path.write_text("[prices]\nstreams = 0\n")
    bad = dgtui("stream", str(talk), "--local", env={"DGTUI_CONFIG": str(path)})
    assert bad.returncode == 2 and "config.toml:2: [prices] streams: must be a whole number of streams" in (
        bad.stderr.decode()
    )
    path.write_text('[prices.models]\n"nova-3" = -0.01\n')
    negative = dgtui("stream", str(talk), "--local", env={"DGTUI_CONFIG": str(path)})
    assert negative.returncode == 2 and "[prices.models] nova-3" in negative.stderr.decode(), negative.stderr.decode()
