"""The explicit state machines: allowed transitions and typed errors."""

from __future__ import annotations

import pytest

from helpline.core.acd import states as st
from helpline.core.acd.errors import InvalidTransitionError


def test_presence_machine() -> None:
    assert st.LOGGED_OUT.login() is st.READY
    assert st.READY.pause() is st.PAUSED
    assert st.PAUSED.pause() is st.PAUSED  # new reason
    assert st.PAUSED.ready() is st.READY
    assert st.READY.logout() is st.LOGGED_OUT
    assert st.PAUSED.logout() is st.LOGGED_OUT
    for action in ("ready", "pause", "logout"):
        with pytest.raises(InvalidTransitionError) as info:
            getattr(st.LOGGED_OUT, action)()
        assert info.value.state == "logged_out"


def test_contact_happy_path() -> None:
    state = st.CREATED.queue()
    for step in ("offer", "accept", "end", "finish_wrap_up"):
        state = getattr(state, step)()
    assert state is st.ENDED
    assert state.final


@pytest.mark.parametrize(
    ("start", "action", "end"),
    [
        (st.QUEUED, "abandon", st.ABANDONED),
        (st.QUEUED, "expire", st.EXPIRED),
        (st.QUEUED, "request_callback", st.CALLBACK_REQUESTED),
        (st.OFFERED, "requeue", st.QUEUED),
        (st.OFFERED, "abandon", st.ABANDONED),
        (st.OFFERED, "offer", st.OFFERED),
    ],
)
def test_contact_leaving_paths(start: st.ContactState, action: str, end: st.ContactState) -> None:
    assert getattr(start, action)() is end


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (st.QUEUED, "accept"),
        (st.CONNECTED, "abandon"),
        (st.CONNECTED, "requeue"),
        (st.WRAP_UP, "end"),
        (st.ENDED, "queue"),
        (st.ABANDONED, "offer"),
        (st.CREATED, "offer"),
    ],
)
def test_invalid_contact_transitions(state: st.ContactState, action: str) -> None:
    with pytest.raises(InvalidTransitionError) as info:
        getattr(state, action)()
    assert info.value.machine == "contact"
    assert info.value.state == state.name
