"""The moderators' review queue and review decisions: roles, BOLA, evidence only, audit."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kitodeck.scans.models import Scan
from tests.scan_factories import ScanFactory

QUEUE = "/api/v1/scans/review-queue"
T0 = datetime(2026, 4, 6, 9, 0, tzinfo=UTC)


def review_url(scan_id: Any) -> str:
    return f"/api/v1/scans/{scan_id}/review"


@pytest.fixture
def alice(verified_user):
    """User A."""
    return verified_user


@pytest.fixture
def bob(other_user):
    """User B."""
    return other_user


@pytest.fixture
def flagged(alice) -> Scan:
    return ScanFactory(user=alice, labels=["financial_request", "secrecy"], created_at=T0)


# --- the queue ---------------------------------------------------------------------------------


def test_queue_is_for_moderators_and_admins(client, auth_headers, alice, moderator, admin) -> None:
    assert client.get(QUEUE).status_code == 401
    denied = client.get(QUEUE, headers=auth_headers(alice))
    assert denied.status_code == 403
    assert denied.get_json()["code"] == 403
    assert client.get(QUEUE, headers=auth_headers(moderator)).status_code == 200
    assert client.get(QUEUE, headers=auth_headers(admin)).status_code == 200


def test_queue_lists_flagged_unreviewed_scans_of_everyone_oldest_first(
    client, auth_headers, alice, bob, moderator
) -> None:
    waiting = [
        ScanFactory(
            user=bob, labels=["threat"], verdict="danger", created_at=T0 + timedelta(hours=2)
        ),
        ScanFactory(user=alice, labels=["insult"], created_at=T0),
        ScanFactory(
            user=alice,
            image=True,
            labels=["FEMALE_BREAST_EXPOSED"],
            created_at=T0 + timedelta(hours=1),
        ),
    ]
    ScanFactory(user=alice, created_at=T0 - timedelta(days=1))  # safe
    ScanFactory(
        user=bob,
        labels=["urgency"],
        created_at=T0 - timedelta(days=2),
        review_decision="confirmed",
        reviewer_id=moderator.id,
        reviewed_at=T0,
    )
    oldest_first = [str(s.id) for s in sorted(waiting, key=lambda s: s.created_at)]

    page1 = client.get(QUEUE, query_string={"page_size": 2}, headers=auth_headers(moderator))
    assert page1.status_code == 200
    assert [item["id"] for item in page1.get_json()] == oldest_first[:2]
    meta = json.loads(page1.headers["X-Pagination"])
    assert meta["total"] == 3 and meta["total_pages"] == 2
    page2 = client.get(
        QUEUE, query_string={"page": 2, "page_size": 2}, headers=auth_headers(moderator)
    )
    assert [item["id"] for item in page2.get_json()] == oldest_first[2:]


def test_queue_items_carry_evidence_and_no_personal_data(
    client, auth_headers, alice, moderator, flagged
) -> None:
    image = ScanFactory(
        user=alice, image=True, labels=["BUTTOCKS_EXPOSED"], created_at=T0 + timedelta(hours=1)
    )
    response = client.get(QUEUE, headers=auth_headers(moderator))
    chat_item, image_item = response.get_json()

    assert chat_item["id"] == str(flagged.id)
    assert chat_item["verdict"] == "scam_risk" and chat_item["risk_level"] == "high"
    assert chat_item["risk_score"] == pytest.approx(0.75)
    assert chat_item["labels"] == ["financial_request", "secrecy"]
    assert [s["name"] for s in chat_item["signals"]] == ["financial_request", "secrecy"]
    assert chat_item["signals"][0]["evidence"] == ["evidence for financial_request"]
    assert chat_item["summary"]
    assert chat_item["messages"][1] == {
        "index": 1,
        "flagged": True,
        "scores": {"toxicity": 0.4},
        "signals": ["financial_request", "secrecy"],
    }
    assert image_item["id"] == str(image.id)
    assert image_item["detections"][0]["label"] == "BUTTOCKS_EXPOSED"
    assert image_item["categories"]["explicit_nudity"] == pytest.approx(0.9)
    assert image_item["image"] == {"width": 640, "height": 480, "format": "jpeg"}

    raw = response.get_data(as_text=True)
    for private in (
        str(alice.id),
        alice.email,
        alice.username,
        "Bob Scammer",
        "Ada Lovelace",
        "private text",
        "must not see",
        "sha256",
        "user_id",
        "suspect",
        "sender",
        "password",
    ):
        assert private not in raw, private


# --- decisions -------------------------------------------------------------------------------


def test_moderator_confirms_a_flagged_scan(
    client, auth_headers, db, alice, moderator, flagged
) -> None:
    response = client.post(
        review_url(flagged.id),
        json={"decision": "confirmed", "note": "Classic advance-fee setup."},
        headers=auth_headers(moderator),
    )
    assert response.status_code == 200
    review = response.get_json()["review"]
    assert review["decision"] == "confirmed"
    assert review["note"] == "Classic advance-fee setup."
    assert review["reviewer_id"] == str(moderator.id)
    assert review["reviewed_at"].endswith("Z")

    db.session.expire_all()
    row = db.session.get(Scan, flagged.id)
    assert row.review_decision == "confirmed"
    assert row.reviewer_id == moderator.id
    assert row.reviewed_at is not None

    # The owner sees the review on the scan; the scan has left the queue.
    own = client.get(f"/api/v1/scans/{flagged.id}", headers=auth_headers(alice)).get_json()
    assert own["review"]["decision"] == "confirmed"
    assert client.get(QUEUE, headers=auth_headers(moderator)).get_json() == []


def test_admin_marks_a_false_positive_without_a_note(client, auth_headers, admin, flagged) -> None:
    response = client.post(
        review_url(flagged.id), json={"decision": "false_positive"}, headers=auth_headers(admin)
    )
    assert response.status_code == 200
    review = response.get_json()["review"]
    assert review["decision"] == "false_positive"
    assert review["note"] is None
    assert review["reviewer_id"] == str(admin.id)


def test_decision_is_audited(client, auth_headers, moderator, flagged, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="kitodeck.audit"):
        client.post(
            review_url(flagged.id), json={"decision": "confirmed"}, headers=auth_headers(moderator)
        )
    records = [r for r in caplog.records if r.name == "kitodeck.audit"]
    assert len(records) == 1
    record = records[0]
    assert record.event == "scan.review"
    assert record.scan_id == str(flagged.id)
    assert record.reviewer_id == str(moderator.id)
    assert record.decision == "confirmed"
    assert record.reviewed_at.endswith("Z")
    assert str(flagged.id) in record.getMessage() and str(moderator.id) in record.getMessage()


def test_second_review_is_409_and_keeps_the_first(
    client, auth_headers, db, moderator, admin, flagged
) -> None:
    first = client.post(
        review_url(flagged.id), json={"decision": "confirmed"}, headers=auth_headers(moderator)
    )
    assert first.status_code == 200
    again = client.post(
        review_url(flagged.id), json={"decision": "false_positive"}, headers=auth_headers(admin)
    )
    assert again.status_code == 409
    assert again.get_json()["code"] == 409
    db.session.expire_all()
    row = db.session.get(Scan, flagged.id)
    assert (row.review_decision, row.reviewer_id) == ("confirmed", moderator.id)


def test_unflagged_scans_are_not_reviewed(client, auth_headers, alice, moderator) -> None:
    safe = ScanFactory(user=alice)
    response = client.post(
        review_url(safe.id), json={"decision": "confirmed"}, headers=auth_headers(moderator)
    )
    assert response.status_code == 409


def test_unknown_scan_is_404(client, auth_headers, moderator) -> None:
    response = client.post(
        review_url(uuid.uuid4()), json={"decision": "confirmed"}, headers=auth_headers(moderator)
    )
    assert response.status_code == 404
    assert (
        client.post(
            "/api/v1/scans/nope/review",
            json={"decision": "confirmed"},
            headers=auth_headers(moderator),
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "decision"),
        ({"decision": "maybe"}, "decision"),
        ({"decision": "confirmed", "note": "x" * 2001}, "note"),
        ({"decision": "confirmed", "reviewer_id": str(uuid.uuid4())}, "reviewer_id"),
        ({"decision": "confirmed", "user_id": str(uuid.uuid4())}, "user_id"),
        ({"decision": "confirmed", "flagged": False}, "flagged"),
    ],
)
def test_bad_bodies_are_422(client, auth_headers, db, moderator, flagged, body, field) -> None:
    """SECURITY 17: unknown fields are rejected, so nothing else can be set."""
    response = client.post(review_url(flagged.id), json=body, headers=auth_headers(moderator))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    db.session.expire_all()
    assert db.session.get(Scan, flagged.id).review_decision is None


def test_body_must_be_json(client, auth_headers, moderator, flagged) -> None:
    response = client.post(
        review_url(flagged.id),
        data="decision=confirmed",
        headers=auth_headers(moderator),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 415


def test_plain_user_reviewing_someone_elses_scan_gets_404(
    client, auth_headers, db, bob, flagged
) -> None:
    """SECURITY 14: user B reviewing user A's scan: 404 (like no scan), A's scan unchanged."""
    theirs = client.post(
        review_url(flagged.id), json={"decision": "false_positive"}, headers=auth_headers(bob)
    )
    unknown = client.post(
        review_url(uuid.uuid4()), json={"decision": "false_positive"}, headers=auth_headers(bob)
    )
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.get_json() == unknown.get_json()
    db.session.expire_all()
    assert db.session.get(Scan, flagged.id).review_decision is None


def test_plain_user_cannot_review_their_own_scan(client, auth_headers, db, alice, flagged) -> None:
    response = client.post(
        review_url(flagged.id), json={"decision": "false_positive"}, headers=auth_headers(alice)
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Scan, flagged.id).review_decision is None


def test_demoted_moderator_is_refused_at_once(client, auth_headers, db, moderator, flagged) -> None:
    """The role is read on each request: a demotion acts on the next one."""
    auth = auth_headers(moderator)
    assert client.get(QUEUE, headers=auth).status_code == 200
    moderator.role = "user"
    db.session.commit()
    assert client.get(QUEUE, headers=auth).status_code == 403
    refused = client.post(review_url(flagged.id), json={"decision": "confirmed"}, headers=auth)
    assert refused.status_code == 404
