"""The shipped alert rules and dashboard: valid for Prometheus's own tools, and printed by ``dgtui metrics``."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from dgtui.metrics.catalogue import names
from tests.support.cli import dgtui_text
from tests.support.prometheus import PROMTOOL, need

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parents[1] / "dgtui" / "metrics"


def test_promtool_checks_the_rules():
    need(PROMTOOL)
    result = subprocess.run([PROMTOOL, "check", "rules", str(PACKAGE / "rules.yml")], capture_output=True,
                            text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 15 rules found" in result.stdout


def test_each_alert_fires_when_it_should_and_not_before(tmp_path):
    """promtool's unit tests: a silent feed, a stream down, a reconnect loop, latency, errors, a monitor down."""
    need(PROMTOOL)
    test = tmp_path / "rules_test.yml"
    test.write_text((HERE / "rules_test.yml").read_text().replace("RULES", str(PACKAGE / "rules.yml")))
    result = subprocess.run([PROMTOOL, "test", "rules", str(test)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_in_the_rules_is_unit_tested():
    alerts = set(re.findall(r"alert: (\w+)", (PACKAGE / "rules.yml").read_text()))
    tested = set(re.findall(r"alertname: (\w+)", (HERE / "rules_test.yml").read_text()))
    assert alerts - tested <= {"DgtuiNoWords", "DgtuiFinalLatencyHigh", "DgtuiServerRefusing"}  # same shapes
    assert len(alerts) == 9


def test_the_rules_and_the_dashboard_use_only_names_dgtui_exposes():
    used = set(re.findall(r"\bdgtui_\w+", (PACKAGE / "rules.yml").read_text()))
    dashboard = json.loads((PACKAGE / "dashboard.json").read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    used |= {name for expr in exprs for name in re.findall(r"\bdgtui_\w+", expr)}
    unknown = {name for name in used if re.sub(r"_(bucket|sum|count)$", "", name) not in names()}
    assert not unknown
    assert len(dashboard["panels"]) >= 20 and dashboard["uid"] == "dgtui-streams"


def test_dgtui_metrics_prints_the_shipped_files():
    rules = dgtui_text("metrics", "rules")
    assert rules.returncode == 0 and rules.stdout == (PACKAGE / "rules.yml").read_text()
    dashboard = dgtui_text("metrics", "dashboard")
    assert dashboard.returncode == 0 and json.loads(dashboard.stdout)["title"].startswith("dgtui")
    wrong = dgtui_text("metrics", "grafana")
    assert wrong.returncode == 2 and "choose from 'dashboard', 'rules'" in wrong.stderr
