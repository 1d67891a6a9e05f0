"""The call controls' API without a call: permissions and bad inputs (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from helpline.timeutil import utcnow
from helpline.voice.models import CallRecording
from tests.support import Helpline


def test_voice_off_answers_503(helpline: Helpline) -> None:
    helpline.create_user("agent1", "agent")
    agent = helpline.login("agent1")
    response = agent.get("/api/v1/calls/me")
    assert response.status_code == 503
    assert "voice is not running" in response.json()["detail"]


def test_an_agent_on_no_call_gets_clear_errors(voice_call_center: Helpline) -> None:
    helpline = voice_call_center
    helpline.create_user("agent1", "agent", lines=("201",))
    agent = helpline.login("agent1")
    assert agent.get("/api/v1/calls/me").status_code == 204  # asked every few seconds
    for method, url, body in (
        ("POST", "/api/v1/calls/me/recording/pause", None),
        ("POST", "/api/v1/calls/me/recording/resume", None),
        ("POST", "/api/v1/calls/me/parties", {"target": "202"}),
        ("DELETE", "/api/v1/calls/me/parties/abc", None),
        ("POST", "/api/v1/calls/me/leave", None),
    ):
        response = agent.request(method, url, json=body)
        assert response.status_code == 404, (url, response.text)
        assert response.json()["detail"] == "you are not on a call"


def test_bad_third_party_targets_are_refused(voice_call_center: Helpline) -> None:
    helpline = voice_call_center
    helpline.create_user("agent1", "agent", lines=("201",))
    agent = helpline.login("agent1")
    for body in ({"target": "abc"}, {"target": "+12"}, {"target": "1; drop"}):
        response = agent.post("/api/v1/calls/me/parties", json=body)
        assert response.status_code == 422, response.text
        assert response.json()["detail"]["field"] == "target"
    for body in ({}, {"target": ""}, {"target": "202", "extra": 1}, {"target": "9" * 40}):
        assert agent.post("/api/v1/calls/me/parties", json=body).status_code == 422


def test_monitoring_needs_a_supervisor_and_an_agent_on_a_call(
    voice_call_center: Helpline,
) -> None:
    helpline = voice_call_center
    agent_user = helpline.create_user("agent1", "agent", lines=("201",))
    helpline.create_user("super1", "supervisor", lines=("301",))
    agent = helpline.login("agent1")
    supervisor = helpline.login("super1")
    url = f"/api/v1/calls/agents/{agent_user.id}/monitor"
    assert agent.put(url, json={"mode": "listen"}).status_code == 403
    assert helpline.client.put(url, json={"mode": "listen"}).status_code == 401
    response = supervisor.put(url, json={"mode": "listen"})
    assert response.status_code == 404
    assert response.json()["detail"] == "the agent is not on a call"
    assert supervisor.put(url, json={"mode": "loud"}).status_code == 422
    assert supervisor.put(url, json={}).status_code == 422
    assert supervisor.delete(url).status_code == 404
    assert supervisor.get(f"/api/v1/calls/agents/{agent_user.id}").status_code == 404
    assert supervisor.get("/api/v1/calls/agents/not-a-number").status_code == 422


def test_recordings_are_for_supervisors_of_their_queue_and_admins(helpline: Helpline) -> None:
    helpline.create_user("boss", "admin")
    helpline.create_user("agent1", "agent")
    helpline.create_user("super1", "supervisor")
    admin = helpline.login("boss")
    queue = admin.post("/api/v1/call-queues", json={"name": "Support"}).json()
    assert queue["record_calls"] is False
    changed = admin.patch(f"/api/v1/call-queues/{queue['id']}", json={"record_calls": True})
    assert changed.status_code == 200, changed.text
    assert changed.json()["record_calls"] is True
    assert (
        admin.patch(
            f"/api/v1/call-queues/{queue['id']}", json={"record_calls": "sometimes"}
        ).status_code
        == 422
    )

    data_dir = Path(helpline.app.state.settings.data_dir)
    (data_dir / "recordings").mkdir(parents=True, exist_ok=True)
    (data_dir / "recordings" / "a.wav").write_bytes(b"RIFF....WAVE")
    queue_key = f"call:{queue['id']}"

    async def add(session):  # type: ignore[no-untyped-def]
        rows = [
            CallRecording(
                call_id="call-1",
                contact_id="c1",
                queue_id=queue_key,
                agent_id="2",
                segment=1,
                kind="mixed",
                path="recordings/a.wav",
                started_at=utcnow(),
            ),
            # A row that points outside the data directory is never served.
            CallRecording(
                call_id="call-1",
                contact_id="c1",
                queue_id=queue_key,
                agent_id="2",
                segment=1,
                kind="caller",
                path="../../../etc/passwd",
                started_at=utcnow(),
            ),
        ]
        session.add_all(rows)
        await session.flush()
        return [row.id for row in rows]

    good, outside = helpline.run(add)
    listed = admin.get("/api/v1/recordings", params={"call_id": "call-1"})
    assert listed.status_code == 200
    assert [r["id"] for r in listed.json()] == [outside, good]
    assert admin.get("/api/v1/recordings", params={"call_id": "other"}).json() == []
    by_queue = admin.get("/api/v1/recordings", params={"queue_id": queue_key}).json()
    assert len(by_queue) == 2
    assert admin.get("/api/v1/recordings", params={"queue_id": "call:0"}).json() == []
    page = admin.get(f"/supervisor/queues/{queue_key}")
    assert page.status_code == 200
    assert 'data-testid="recordings-table"' in page.text
    download = admin.get(f"/api/v1/recordings/{good}/file")
    assert download.status_code == 200
    assert download.content == b"RIFF....WAVE"
    assert admin.get(f"/api/v1/recordings/{outside}/file").status_code == 404
    assert admin.get("/api/v1/recordings/999999/file").status_code == 404

    agent = helpline.login("agent1")
    assert agent.get("/api/v1/recordings").status_code == 403
    assert agent.get(f"/api/v1/recordings/{good}/file").status_code == 403
    # A supervisor restricted to assigned queues (the default) and not assigned: nothing.
    supervisor = helpline.login("super1")
    assert supervisor.get("/api/v1/recordings").json() == []
    assert supervisor.get(f"/api/v1/recordings/{good}/file").status_code == 404
