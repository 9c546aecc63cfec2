"""POST /api/v1/scans/chat, custom rules, limits and the engine reported."""

from __future__ import annotations

import time

import pytest

from kitodeck.scans.models import Rule, Scan

URL = "/api/v1/scans/chat"

SETUP = [
    {"sender": "Tobi", "text": "hi dear, you look lovely in your pictures"},
    {"sender": "Ada", "text": "thank you :)"},
    {"sender": "Tobi", "text": "my data is finishing, add me on whatsapp 0803 123 4567"},
    {"sender": "Tobi", "text": "come alone to my place tonight, don't tell anybody"},
    {"sender": "Tobi", "text": "actually change of plan, meet me at a different hotel, hurry"},
]


@pytest.fixture
def headers(auth_headers, verified_user) -> dict[str, str]:
    return auth_headers(verified_user)


def test_setup_conversation_is_flagged_with_evidence_and_summary(client, headers, db) -> None:
    response = client.post(URL, json={"messages": SETUP}, headers=headers)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["kind"] == "chat"
    assert body["flagged"] is True
    assert body["verdict"] in ("scam_risk", "danger")
    assert body["risk_level"] in ("high", "critical")
    names = {signal["name"] for signal in body["signals"]}
    assert {"off_platform", "isolation", "secrecy"} <= names
    off = next(s for s in body["signals"] if s["name"] == "off_platform")
    assert 2 in off["messages"]
    assert any(e in SETUP[2]["text"] for e in off["evidence"])
    assert body["summary"] and "you" in body["summary"].lower()
    assert len(body["messages"]) == len(SETUP)
    assert body["engine"]["name"] in ("detoxify", "alt-profanity-check")
    assert set(body["toxicity"]) <= {"profanity"} | {
        "toxicity",
        "severe_toxicity",
        "obscene",
        "threat",
        "insult",
        "identity_attack",
        "sexual_explicit",
    }
    stored = db.session.get(Scan, body["id"])
    assert set(stored.labels) == names
    assert all("text" not in m for m in stored.details["messages"])


def test_transcript_input_with_names(client, headers) -> None:
    transcript = "\n".join(f"{m['sender']}: {m['text']}" for m in SETUP)
    body = client.post(URL, json={"transcript": transcript}, headers=headers).get_json()
    assert body["flagged"] is True
    assert [m["sender"] for m in body["messages"]] == [m["sender"] for m in SETUP]


def test_benign_conversation_is_safe(client, headers) -> None:
    messages = [
        {"sender": "Ada", "text": "are we still on for lunch at the mall on saturday?"},
        {"sender": "Kemi", "text": "yes! my sister is coming too, see you at 1pm"},
    ]
    body = client.post(URL, json={"messages": messages}, headers=headers).get_json()
    assert body["verdict"] == "safe"
    assert body["flagged"] is False
    assert body["risk_level"] == "low"


def test_store_transcripts_keeps_the_texts(client, headers, app, db, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "STORE_TRANSCRIPTS", True)
    body = client.post(URL, json={"messages": SETUP}, headers=headers).get_json()
    stored = db.session.get(Scan, body["id"])
    assert [m["text"] for m in stored.details["messages"]] == [m["text"] for m in SETUP]


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({}, 422),
        ({"messages": []}, 422),
        ({"messages": SETUP, "transcript": "a: b"}, 422),
        ({"messages": [{"sender": "a"}]}, 422),
        ({"messages": [{"sender": "a", "text": "hi", "role": "admin"}]}, 422),
        ({"messages": SETUP, "user_id": "00000000-0000-0000-0000-000000000000"}, 422),
        ({"messages": [{"sender": "a", "text": "x" * 5001}]}, 422),
        ({"messages": [{"sender": "a", "text": "hi"}] * 501}, 422),
        ({"transcript": "   \n  "}, 422),
    ],
)
def test_invalid_bodies_are_422(client, headers, payload, status) -> None:
    response = client.post(URL, json=payload, headers=headers)
    assert response.status_code == status, response.get_json()
    assert response.get_json()["code"] == status


def test_total_length_over_the_limit_is_413(client, headers) -> None:
    messages = [{"sender": "a", "text": "y" * 5000}] * 41  # 205,000 characters
    response = client.post(URL, json={"messages": messages}, headers=headers)
    assert response.status_code == 413
    assert "200000" in response.get_json()["message"]


def test_huge_transcript_is_rejected(client, headers) -> None:
    response = client.post(URL, json={"transcript": "a: hi\n" * 60_000}, headers=headers)
    assert response.status_code == 422  # over the transcript field's length limit
    assert "transcript" in response.get_json()["errors"]["json"]


def test_unverified_user_cannot_scan_chat(client, auth_headers, user) -> None:
    response = client.post(URL, json={"messages": SETUP}, headers=auth_headers(user))
    assert response.status_code == 403
    assert "verify" in response.get_json()["message"]


# --- rules ----------------------------------------------------------------------------


@pytest.fixture
def admin_headers(auth_headers, admin) -> dict[str, str]:
    return auth_headers(admin)


def test_rules_crud_and_effect_on_scans(client, headers, admin_headers, db) -> None:
    messages = [{"sender": "Zed", "text": "bring the parcel to the blue gate"}]
    before = client.post(URL, json={"messages": messages}, headers=headers).get_json()
    assert "blue gate" not in str(before["signals"])

    rule = {
        "name": "blue-gate",
        "pattern": "blue gate",
        "kind": "keyword",
        "signal": "location_change",
        "weight": 0.9,
    }
    created = client.post("/api/v1/scans/rules", json=rule, headers=admin_headers)
    assert created.status_code == 201, created.get_json()
    rule_id = created.get_json()["id"]
    listed = client.get("/api/v1/scans/rules", headers=admin_headers).get_json()
    assert [r["name"] for r in listed] == ["blue-gate"]

    after = client.post(URL, json={"messages": messages}, headers=headers).get_json()
    hit = next(s for s in after["signals"] if s["name"] == "location_change")
    assert "blue gate" in " ".join(hit["evidence"])

    patched = client.patch(
        f"/api/v1/scans/rules/{rule_id}", json={"enabled": False}, headers=admin_headers
    )
    assert patched.status_code == 200 and patched.get_json()["enabled"] is False
    disabled = client.post(URL, json={"messages": messages}, headers=headers).get_json()
    assert not any("blue gate" in " ".join(s["evidence"]) for s in disabled["signals"])

    assert client.delete(f"/api/v1/scans/rules/{rule_id}", headers=admin_headers).status_code == 204
    assert db.session.get(Rule, rule_id) is None
    missing = client.get(f"/api/v1/scans/rules/{rule_id}", headers=admin_headers)
    assert missing.status_code == 404


@pytest.mark.parametrize(
    "rule",
    [
        {"name": "bad", "pattern": "(unclosed", "kind": "regex", "signal": "threat"},
        {"name": "backref", "pattern": r"(a)\1", "kind": "regex", "signal": "threat"},
        {"name": "signal", "pattern": "x", "kind": "keyword", "signal": "not_a_signal"},
        {"name": "kind", "pattern": "x", "kind": "glob", "signal": "threat"},
        {"name": "weight", "pattern": "x", "kind": "keyword", "signal": "threat", "weight": 3},
        {"name": "long", "pattern": "a" * 501, "kind": "keyword", "signal": "threat"},
        {"name": "extra", "pattern": "x", "kind": "keyword", "signal": "threat", "id": "1"},
    ],
)
def test_invalid_rules_are_422(client, admin_headers, rule) -> None:
    response = client.post("/api/v1/scans/rules", json=rule, headers=admin_headers)
    assert response.status_code == 422, response.get_json()


def test_duplicate_rule_name_is_409(client, admin_headers) -> None:
    rule = {"name": "dup", "pattern": "x", "kind": "keyword", "signal": "threat"}
    assert client.post("/api/v1/scans/rules", json=rule, headers=admin_headers).status_code == 201
    assert client.post("/api/v1/scans/rules", json=rule, headers=admin_headers).status_code == 409


def test_redos_rule_cannot_hang_a_scan(client, headers, admin_headers) -> None:
    rule = {"name": "redos", "pattern": "(a+)+$", "kind": "regex", "signal": "threat"}
    assert client.post("/api/v1/scans/rules", json=rule, headers=admin_headers).status_code == 201
    messages = [{"sender": "x", "text": "a" * 4999 + "!"}] * 10
    started = time.perf_counter()
    response = client.post(URL, json={"messages": messages}, headers=headers)
    assert response.status_code == 201
    assert time.perf_counter() - started < 20  # a backtracking engine would take ages


def test_rules_are_admin_only(client, headers, auth_headers, moderator) -> None:
    assert client.get("/api/v1/scans/rules", headers=headers).status_code == 403
    assert client.get("/api/v1/scans/rules", headers=auth_headers(moderator)).status_code == 403
    assert client.get("/api/v1/scans/rules").status_code == 401
