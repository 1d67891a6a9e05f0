from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from helpline.timeutil import utcnow
from helpline.trunks import service
from tests.support import Helpline
from tests.trunks.conftest import API, make_plan, plan_numbers

PAGE = "/admin/trunks"


def _browser(helpline: Helpline, username: str) -> TestClient:
    client = helpline.login(username)
    client.follow_redirects = False
    client.get("/login")
    return client


def _post(client: TestClient, path: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(
        path, data={"csrf_token": client.cookies.get("helpline_csrf"), **(data or {})}
    )


@pytest.fixture
def browser(helpline: Helpline) -> TestClient:
    helpline.create_user("boss", "admin")
    return _browser(helpline, "boss")


def form(**extra: Any) -> dict[str, Any]:
    """The form as a browser sends it (None: an unchecked box, which is not sent)."""
    fields = {
        "name": "Carrier A",
        "host": "sip.carrier.example",
        "port": "5060",
        "transport": "UDP",
        "username": "carrier-user",
        "password": "pa55word",
        "register": "on",
        "register_expires": "600",
        "from_domain": "",
        "caller_id": "+39 02 0000 0000",
        "enabled": "on",
        "inbound_addresses": "203.0.113.0/28\n198.51.100.7",
        "number.0.number": "+390212345678",
        "number.0.call_plan_id": "",
        "number.1.number": "",
        "number.1.call_plan_id": "",
        **extra,
    }
    return {name: value for name, value in fields.items() if value is not None}


def test_admin_creates_edits_moves_and_deletes_a_trunk(browser: TestClient) -> None:
    empty = browser.get(PAGE)
    assert empty.status_code == 200
    assert "No trunks yet." in empty.text
    new = browser.get(f"{PAGE}/new")
    assert new.status_code == 200
    assert 'name="port"' in new.text
    assert 'value="5060"' in new.text

    plan = make_plan(browser, "Day")
    created = _post(browser, PAGE, form(**{"number.0.call_plan_id": str(plan)}))
    assert created.status_code == 303, created.text
    trunk = browser.get(API).json()[0]
    assert created.headers["location"] == f"{PAGE}/{trunk['id']}?done=created"
    assert trunk["has_password"] is True
    assert trunk["register"] is True
    assert trunk["inbound_addresses"] == ["203.0.113.0/28", "198.51.100.7"]
    assert trunk["numbers"][0]["call_plan_id"] == plan
    assert plan_numbers(browser, plan) == [("+390212345678", "Carrier A")]

    page = browser.get(created.headers["location"])
    assert "The trunk was created." in page.text
    # The password is never sent back to the browser, not even encrypted.
    assert "pa55word" not in page.text
    assert "A password is stored." in page.text
    assert re.search(rf'<option value="{plan}" selected>Day</option>', page.text)
    assert "Not registered yet" in page.text

    # Saving with the password field empty keeps the password; the plan choice is kept.
    saved = _post(
        browser,
        f"{PAGE}/{trunk['id']}",
        form(password="", port="5070", **{"number.0.call_plan_id": str(plan)}),
    )
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"{PAGE}/{trunk['id']}?done=saved"
    after = browser.get(f"{API}/{trunk['id']}").json()
    assert (after["port"], after["has_password"]) == (5070, True)
    # Choosing no plan unroutes the DID.
    _post(browser, f"{PAGE}/{trunk['id']}", form(password=""))
    assert plan_numbers(browser, plan) == []

    other = _post(browser, PAGE, form(name="Carrier B", **{"number.0.number": "+441234567890"}))
    assert other.status_code == 303
    listing = browser.get(PAGE)
    assert listing.text.index("Carrier A") < listing.text.index("Carrier B")
    assert "+441234567890" in listing.text
    second = browser.get(API).json()[1]["id"]
    assert _post(browser, f"{PAGE}/{second}/move", {"direction": "up"}).status_code == 303
    assert [t["name"] for t in browser.get(API).json()] == ["Carrier B", "Carrier A"]
    assert _post(browser, f"{PAGE}/{second}/move", {"direction": "sideways"}).status_code == 422

    confirm = browser.get(f"{PAGE}/{trunk['id']}/delete")
    assert confirm.status_code == 200
    assert "+390212345678" in confirm.text
    assert len(browser.get(API).json()) == 2
    deleted = _post(browser, f"{PAGE}/{trunk['id']}/delete")
    assert deleted.headers["location"] == f"{PAGE}?done=deleted"
    assert [t["name"] for t in browser.get(API).json()] == ["Carrier B"]
    assert browser.get(f"{PAGE}/{trunk['id']}").status_code == 404


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"host": "sip:carrier.example"},
            "Host: &#39;sip:carrier.example&#39;: give the host alone",
        ),
        ({"port": "99999"}, "Port: Input should be less than or equal to 65535"),
        ({"port": "five"}, "Port: Input should be a valid integer"),
        ({"register_expires": "10"}, "Registration interval: Input should be greater than"),
        ({"inbound_addresses": "10.0.0.1/8"}, "did you mean 10.0.0.0/8?"),
        ({"number.0.number": "12345"}, "international format"),
        ({"username": ""}, "a password needs a user name"),
    ],
)
def test_mistakes_are_shown_with_the_form_kept(
    browser: TestClient, change: dict[str, str], message: str
) -> None:
    answer = _post(browser, PAGE, form(**change))
    assert answer.status_code == 422
    assert message in answer.text
    # What was typed stays, except the password.
    assert 'value="Carrier A"' in answer.text
    assert "pa55word" not in answer.text
    assert browser.get(API).json() == []


def test_a_duplicate_did_is_refused_on_edit(browser: TestClient) -> None:
    _post(browser, PAGE, form())
    _post(browser, PAGE, form(name="Carrier B", **{"number.0.number": "+441234567890"}))
    second = browser.get(API).json()[1]["id"]
    answer = _post(browser, f"{PAGE}/{second}", form(name="Carrier B", password=""))
    assert answer.status_code == 422
    assert "already comes in through the trunk &#39;Carrier A&#39;" in answer.text
    assert browser.get(f"{API}/{second}").json()["numbers"][0]["number"] == "+441234567890"


def test_registration_outcomes_are_shown(browser: TestClient, helpline: Helpline) -> None:
    _post(browser, PAGE, form())
    _post(browser, PAGE, form(name="Static", register=None, **{"number.0.number": ""}))
    trunk_id = browser.get(API).json()[0]["id"]
    helpline.run(
        lambda session: service.record_registration_state(
            session=session, trunk_id=trunk_id, state="failed", detail="403 Forbidden", now=utcnow()
        )
    )
    listing = browser.get(PAGE).text
    assert "Registration failed" in listing
    assert "403 Forbidden" in listing
    assert "Does not register" in listing
    assert "403 Forbidden" in browser.get(f"{PAGE}/{trunk_id}").text
    helpline.run(
        lambda session: service.record_registration_state(
            session=session,
            trunk_id=trunk_id,
            state="ok",
            detail="200 OK, registered for 600 s",
            now=utcnow(),
        )
    )
    assert ">Registered<" in browser.get(PAGE).text


def test_the_admin_portal_links_to_trunks(browser: TestClient) -> None:
    assert 'href="/admin/trunks"' in browser.get("/admin").text
