"""Fault specs as written, read or refused with what is expected; which connections a plan picks (the same every
run when seeded); when a timed fault fires."""

from __future__ import annotations

import pytest

from dgtui.protocol.faults import FaultError, FaultPlan, parse_fault


@pytest.mark.parametrize(
    ("spec", "kind", "fields"),
    [
        ("refuse:status=429", "refuse", {"status": 429}),
        ("close:code=1011,at=3s", "close", {"code": 1011, "at": 3.0}),
        ("drop:at=3s", "drop", {"at": 3.0}),
        ("delay:ms=500", "delay", {"ms": (500.0, 500.0)}),
        ("delay:ms=200-800,p=0.2,seed=7", "delay", {"ms": (200.0, 800.0), "p": 0.2, "seed": 7}),
        ("stall:at=3s,for=5s", "stall", {"at": 3.0, "duration": 5.0, "then": "resume"}),
        ("error:code=INTERNAL,path=v2,conn=2", "error", {"reason": "INTERNAL", "path": "v2", "conn": 2}),
        ("malformed:after=4,how=garbage", "malformed", {"after": 4, "how": "garbage"}),
        ("bandwidth:kbps=32", "bandwidth", {"kbps": 32.0}),
        ("handshake:ms=1500", "handshake", {"ms": (1500.0, 1500.0)}),
    ],
)
def test_the_forms_as_written(spec, kind, fields):
    fault = parse_fault(spec)
    assert fault.kind == kind and fault.spec == spec
    assert {key: getattr(fault, key) for key in fields} == fields


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("boom", "unknown kind 'boom'"),
        ("refuse:status=418", "expected one of 400, 401, 402, 403, 429, 503"),
        ("close:at=soon", "expected a time such as 3s or 500ms"),
        ("drop:p=2", "expected 0 to 1"),
        ("stall:then=maybe", "expected resume or close"),
        ("delay:code=1", "not a key=value this kind takes"),
        ("close:path=v3", "expected v1 or v2"),
    ],
)
def test_specs_that_cannot_work_say_what_is_expected(spec, words):
    with pytest.raises(FaultError, match=words):
        parse_fault(spec)


def test_a_seeded_plan_picks_the_same_connections_every_run():
    def picks() -> list[bool]:
        plan = FaultPlan.parse(["drop:p=0.3,seed=7"])
        return [bool(plan.connection(flux=False)) for _ in range(40)]

    first = picks()
    assert first == picks() and 4 <= sum(first) <= 20  # about 30 %, the same ones


def test_conn_and_path_choose_connections():
    plan = FaultPlan.parse(["close:conn=2", "error:path=v2"])
    first, second, flux = plan.connection(False), plan.connection(False), plan.connection(True)
    assert not first and [f.kind for f in second.faults] == ["close"] and [f.kind for f in flux.faults] == ["error"]


def test_timed_faults_fire_once_when_their_moment_comes():
    chosen = FaultPlan.parse(["close:code=1011,at=3s", "malformed:after=2"]).connection(False)
    assert chosen.on_audio(1.0) == [] and chosen.on_message() == [] and chosen.on_message() == []
    (malformed,) = chosen.on_message()
    assert malformed.kind == "malformed" and "after 2 server messages" in malformed.describe
    (close,) = chosen.on_audio(3.1)
    assert close.kind == "close" and chosen.close_of(close.fault)[0] == 1011 and chosen.on_audio(9.0) == []
    assert len(chosen.fired) == 2


def test_refusals_and_errors_in_deepgrams_shapes():
    chosen = FaultPlan.parse(["refuse:status=402"]).connection(False)
    refusal = chosen.refusal()
    assert refusal is not None and refusal.status == 402 and b'"err_code": "ASR_PAYMENT_REQUIRED"' in refusal.body("r")
    flux = FaultPlan.parse(["error:code=TOO_SLOW"]).connection(True)
    assert '"type": "Error"' in flux.error_message(flux.faults[0]) and '"code": "TOO_SLOW"' in flux.error_message(
        flux.faults[0]
    )
