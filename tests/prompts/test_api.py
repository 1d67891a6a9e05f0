from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from helpline.channels.media.tone import estimate_frequency
from helpline.errors import NotFound
from helpline.prompts import catalog, service
from helpline.prompts.files import MAX_UPLOAD_BYTES
from helpline.timeutil import utcnow
from tests.prompts.audio import MP3_FILE, mp3_in_wav, read_wav, sine_wav
from tests.support import Helpline

URL = "/api/v1/prompts"
MUSIC = "/api/v1/music"
WAV = "audio/wav"


@pytest.fixture
def admin(helpline: Helpline) -> Any:
    helpline.create_user("boss", "admin")
    return helpline.login("boss")


def _data_dir(helpline: Helpline) -> Path:
    path: Path = helpline.app.state.settings.data_dir
    return path


def _uploads(helpline: Helpline) -> list[str]:
    sounds = _data_dir(helpline) / "sounds"
    return sorted(str(p.relative_to(sounds)) for p in sounds.rglob("*") if p.is_file())


def _put(client: Any, url: str, data: bytes, name: str = "greeting.wav") -> Any:
    return client.put(url, files={"file": (name, data, WAV)})


def _prompt(client: Any, key: str, language: str) -> dict[str, Any]:
    response = client.get(f"{URL}/{key}/{language}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _events(admin: Any) -> list[dict[str, Any]]:
    types = ["prompt.replaced", "prompt.reset", "music.uploaded", "music.deleted"]
    return admin.get("/api/v1/events", params={"type": types}).json()


def test_every_prompt_is_listed_in_every_language_as_default(admin: Any) -> None:
    body = admin.get(URL).json()
    assert body["languages"] == ["en", "it", "fr", "pt_BR"]
    prompts = body["prompts"]
    assert len(prompts) == len(catalog.PROMPT_KEYS) * 4
    assert {p["status"] for p in prompts} == {"default"}
    welcome_it = next(p for p in prompts if (p["key"], p["language"]) == ("welcome", "it"))
    assert welcome_it["text"].startswith("Grazie per aver chiamato")
    assert welcome_it["duration_ms"] > 2000
    assert welcome_it["audio_url"] == "/api/v1/prompts/welcome/it/audio"
    assert welcome_it["original_filename"] is None


def test_the_shipped_prompt_streams_as_wav(admin: Any) -> None:
    response = admin.get(f"{URL}/callback_offer/fr/audio")
    assert response.status_code == 200
    assert response.headers["content-type"] == WAV
    assert response.content == catalog.default_path("callback_offer", "fr").read_bytes()


def test_an_upload_is_converted_to_8_khz_mono_and_served_back(
    helpline: Helpline, admin: Any
) -> None:
    upload = sine_wav(freq=440, seconds=1.5, rate=44100, channels=2)
    response = _put(admin, f"{URL}/welcome/it", upload, "benvenuto.wav")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "custom"
    assert body["original_filename"] == "benvenuto.wav"
    assert body["duration_ms"] == pytest.approx(1500, abs=5)
    assert body["uploaded_at"].endswith(("+00:00", "Z"))
    assert body["audio_url"].startswith("/api/v1/prompts/welcome/it/audio?v=")

    served = admin.get(body["audio_url"])
    assert served.status_code == 200
    params, pcm = read_wav(served.content)
    assert (params.framerate, params.nchannels, params.sampwidth) == (8000, 1, 2)
    assert params.nframes == pytest.approx(12000, abs=40)
    assert estimate_frequency(pcm) == pytest.approx(440, rel=0.01)
    # Only this prompt in this language changed.
    assert _prompt(admin, "welcome", "en")["status"] == "default"
    assert _prompt(admin, "closed", "it")["status"] == "default"
    assert _uploads(helpline) == [
        f"prompts/it/{Path(_path_of(helpline, 'welcome', 'it')).name}",
    ]


def _path_of(helpline: Helpline, key: str, language: str) -> Path:
    path: Path = helpline.run(
        lambda session: service.prompt_path(
            session=session, key=key, language=language, data_dir=_data_dir(helpline)
        )
    )
    return path


def test_replacing_again_removes_the_previous_upload(helpline: Helpline, admin: Any) -> None:
    _put(admin, f"{URL}/goodbye/en", sine_wav(freq=300), "first.wav")
    first = _path_of(helpline, "goodbye", "en")
    _put(admin, f"{URL}/goodbye/en", sine_wav(freq=600), "second.wav")
    second = _path_of(helpline, "goodbye", "en")
    assert first != second
    assert not first.exists()
    assert second.exists()
    assert _prompt(admin, "goodbye", "en")["original_filename"] == "second.wav"
    assert len(_uploads(helpline)) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (MP3_FILE, "not a WAV file"),
        (mp3_in_wav(), "MP3"),
        (b"", "empty"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "unreadable WAV"),
        (b"hello, I am a text file" * 10, "not a WAV file"),
    ],
)
def test_files_that_are_not_pcm_wav_are_refused_and_the_previous_file_stays(
    helpline: Helpline, admin: Any, data: bytes, message: str
) -> None:
    good = sine_wav(freq=500, seconds=0.5)
    _put(admin, f"{URL}/closed/pt_BR", good, "fechado.wav")
    before = admin.get(f"{URL}/closed/pt_BR/audio").content
    events_before = _events(admin)
    response = _put(admin, f"{URL}/closed/pt_BR", data, "song.mp3")
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]["message"]
    assert response.json()["detail"]["field"] == "file"
    assert _prompt(admin, "closed", "pt_BR")["original_filename"] == "fechado.wav"
    assert admin.get(f"{URL}/closed/pt_BR/audio").content == before
    assert _events(admin) == events_before
    # No temporary file or half-converted upload is left behind.
    assert len(_uploads(helpline)) == 1


def test_a_compressed_wav_is_explained(admin: Any) -> None:
    response = _put(admin, f"{URL}/voicemail/en", mp3_in_wav())
    message = response.json()["detail"]["message"]
    assert "unsupported WAV encoding" in message
    assert "PCM" in message


def test_files_over_20_mb_are_refused_and_the_previous_file_stays(
    helpline: Helpline, admin: Any
) -> None:
    _put(admin, f"{URL}/menu_default/en", sine_wav(seconds=0.5), "menu.wav")
    oversized = b"RIFF" + bytes(MAX_UPLOAD_BYTES - 3)
    response = _put(admin, f"{URL}/menu_default/en", oversized, "long.wav")
    assert response.status_code == 422
    assert "larger than 20 MB" in response.json()["detail"]["message"]
    # Far beyond the limit the body is refused before it is read.
    huge = bytes(MAX_UPLOAD_BYTES + 2 * 1024 * 1024)
    response = _put(admin, f"{URL}/menu_default/en", huge, "huge.wav")
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]
    assert _prompt(admin, "menu_default", "en")["original_filename"] == "menu.wav"
    assert len(_uploads(helpline)) == 1


def test_a_large_upload_within_the_limit_is_accepted(admin: Any) -> None:
    # Over the general 1 MB body limit: the prompt routes allow 20 MB files.
    upload = sine_wav(seconds=8, rate=48000, channels=2)
    assert len(upload) > 1024 * 1024
    response = _put(admin, f"{MUSIC}/default", upload, "long.wav")
    assert response.status_code == 200, response.text
    assert response.json()["duration_ms"] == pytest.approx(8000, abs=5)


def test_reset_restores_the_default(helpline: Helpline, admin: Any) -> None:
    _put(admin, f"{URL}/transfer/fr", sine_wav(), "transfert.wav")
    assert admin.delete(f"{URL}/transfer/fr").status_code == 204
    prompt = _prompt(admin, "transfer", "fr")
    assert prompt["status"] == "default"
    assert prompt["original_filename"] is None
    shipped = catalog.default_path("transfer", "fr").read_bytes()
    assert admin.get(f"{URL}/transfer/fr/audio").content == shipped
    assert _uploads(helpline) == []
    # Already the default: nothing to do, no event.
    assert admin.delete(f"{URL}/transfer/fr").status_code == 204
    assert [e["type"] for e in _events(admin)] == ["prompt.replaced", "prompt.reset"]


def test_changes_are_events(admin: Any) -> None:
    me = admin.get("/api/v1/auth/me").json()["user"]["id"]
    _put(admin, f"{URL}/welcome/en", sine_wav(seconds=1), "hello.wav")
    _put(admin, f"{URL}/welcome/en", sine_wav(seconds=2), "hello2.wav")
    admin.delete(f"{URL}/welcome/en")
    _put(admin, f"{MUSIC}/default", sine_wav(seconds=1), "music.wav")
    _put(admin, f"{MUSIC}/jazz", sine_wav(seconds=1), "jazz.wav")
    admin.delete(f"{MUSIC}/jazz")
    events = _events(admin)
    assert [e["type"] for e in events] == [
        "prompt.replaced",
        "prompt.replaced",
        "prompt.reset",
        "music.uploaded",
        "music.uploaded",
        "music.deleted",
    ]
    assert events[0]["payload"] == {
        "key": "welcome",
        "language": "en",
        "original_filename": "hello.wav",
        "duration_ms": 1000,
        "was_default": True,
    }
    assert events[1]["payload"]["was_default"] is False
    assert events[2]["payload"] == {
        "key": "welcome",
        "language": "en",
        "original_filename": "hello2.wav",
    }
    assert events[3]["payload"]["key"] == "default"
    assert events[3]["payload"]["replaced"] is False
    assert events[5]["payload"] == {"key": "jazz", "original_filename": "jazz.wav"}
    assert {e["actor_user_id"] for e in events} == {me}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nope/en"),
        ("GET", "/welcome/de"),
        ("GET", "/welcome/pt-BR"),
        ("GET", "/welcome/de/audio"),
        ("DELETE", "/nope/en"),
        ("PUT", "/nope/en"),
        ("PUT", "/welcome/xx"),
    ],
)
def test_unknown_prompts_and_languages(admin: Any, method: str, path: str) -> None:
    files = {"file": ("a.wav", sine_wav(seconds=0.1), WAV)} if method == "PUT" else None
    response = admin.request(method, f"{URL}{path}", files=files)
    assert response.status_code == 404, response.text


def test_an_upload_needs_a_file(admin: Any) -> None:
    response = admin.put(f"{URL}/welcome/en", data={"nothing": "here"})
    assert response.status_code == 422


def test_filenames_are_kept_without_folders_or_control_characters(admin: Any) -> None:
    response = _put(admin, f"{URL}/welcome/en", sine_wav(seconds=0.2), "C:\\rec\\My take.wav")
    assert response.json()["original_filename"] == "My take.wav"


def test_music_default_uploads_and_deletion(helpline: Helpline, admin: Any) -> None:
    assert admin.get(MUSIC).json() == {
        "music": [
            {
                "key": "default",
                "status": "default",
                "duration_ms": admin.get(MUSIC).json()["music"][0]["duration_ms"],
                "original_filename": None,
                "uploaded_at": None,
                "uploaded_by": None,
                "audio_url": "/api/v1/music/default/audio",
            }
        ]
    }
    shipped = catalog.HOLD_MUSIC_FILE.read_bytes()
    assert admin.get(f"{MUSIC}/default/audio").content == shipped

    site = _put(admin, f"{MUSIC}/default", sine_wav(freq=330, seconds=2, rate=22050), "site.wav")
    assert site.status_code == 200, site.text
    assert site.json()["status"] == "custom"
    jazz = _put(admin, f"{MUSIC}/Jazz-Loop", sine_wav(freq=220, seconds=1), "jazz.wav")
    assert jazz.json()["key"] == "jazz-loop"
    listed = admin.get(MUSIC).json()["music"]
    assert [(m["key"], m["status"]) for m in listed] == [
        ("default", "custom"),
        ("jazz-loop", "custom"),
    ]
    params, pcm = read_wav(admin.get(f"{MUSIC}/jazz-loop/audio").content)
    assert (params.framerate, params.nchannels) == (8000, 1)
    assert estimate_frequency(pcm) == pytest.approx(220, rel=0.01)

    data_dir = _data_dir(helpline)

    def hold(key: str | None = None) -> Path:
        path: Path = helpline.run(
            lambda session: service.hold_music_path(session=session, data_dir=data_dir, key=key)
        )
        return path

    assert hold("jazz-loop").parent == data_dir / "sounds" / "music"
    assert hold("jazz-loop") != hold()
    # A queue that names music that is gone gets the site's hold music.
    assert hold("gone") == hold()

    assert admin.delete(f"{MUSIC}/jazz-loop").status_code == 204
    assert admin.get(f"{MUSIC}/jazz-loop").status_code == 404
    assert admin.get(f"{MUSIC}/jazz-loop/audio").status_code == 404
    assert admin.delete(f"{MUSIC}/jazz-loop").status_code == 404
    assert admin.delete(f"{MUSIC}/default").status_code == 204
    assert admin.get(f"{MUSIC}/default").json()["status"] == "default"
    assert hold() == catalog.HOLD_MUSIC_FILE
    assert admin.delete(f"{MUSIC}/default").status_code == 204
    assert _uploads(helpline) == []


@pytest.mark.parametrize("key", ["-x", "a b", "x" * 65, "è", "..", "a/b"])
def test_music_names_are_checked(admin: Any, key: str) -> None:
    response = _put(admin, f"{MUSIC}/{key}", sine_wav(seconds=0.1))
    assert response.status_code in (404, 422), response.text
    assert [m["key"] for m in admin.get(MUSIC).json()["music"]] == ["default"]


def test_prompt_path_prefers_the_upload_then_the_language_then_english(
    helpline: Helpline, admin: Any
) -> None:
    data_dir = _data_dir(helpline)
    assert _path_of(helpline, "welcome", "it") == catalog.default_path("welcome", "it")
    assert _path_of(helpline, "welcome", "pt-BR") == catalog.default_path("welcome", "pt_BR")
    # A language Helpline has no prompts in: English.
    assert _path_of(helpline, "welcome", "de") == catalog.default_path("welcome", "en")
    _put(admin, f"{URL}/welcome/en", sine_wav(seconds=0.3))
    assert _path_of(helpline, "welcome", "de").parent == data_dir / "sounds" / "prompts" / "en"
    assert _path_of(helpline, "welcome", "fr") == catalog.default_path("welcome", "fr")
    with pytest.raises(NotFound):
        _path_of(helpline, "no_such_prompt", "en")
    # The uploaded file went missing (a restore without the sounds): the default plays.
    _path_of(helpline, "welcome", "en").unlink()
    assert _path_of(helpline, "welcome", "en") == catalog.default_path("welcome", "en")


def test_a_rolled_back_upload_leaves_no_file(helpline: Helpline, admin: Any) -> None:
    _put(admin, f"{URL}/goodbye/it", sine_wav(seconds=0.3), "ciao.wav")
    kept = _uploads(helpline)
    data_dir = _data_dir(helpline)

    class Boom(Exception):
        pass

    async def replace_then_fail(session: Any) -> None:
        await service.replace_prompt(
            session=session,
            key="goodbye",
            language="it",
            upload=io.BytesIO(sine_wav(seconds=0.2)),
            filename="later.wav",
            data_dir=data_dir,
            now=utcnow(),
            actor_id=None,
        )
        assert len(_uploads(helpline)) == 2
        raise Boom

    with pytest.raises(Boom):
        helpline.run(replace_then_fail)
    assert _uploads(helpline) == kept
    assert _prompt(admin, "goodbye", "it")["original_filename"] == "ciao.wav"


def test_supervisors_need_the_queue_settings_switches(helpline: Helpline, admin: Any) -> None:
    helpline.create_user("sue", "supervisor")
    helpline.create_user("ann", "agent")
    sue = helpline.login("sue")
    ann = helpline.login("ann")
    assert ann.get(URL).status_code == 403
    assert ann.get(f"{URL}/welcome/en/audio").status_code == 403
    assert sue.get(URL).status_code == 403
    assert _put(sue, f"{URL}/welcome/en", sine_wav(seconds=0.1)).status_code == 403
    assert helpline.client.get(URL).status_code == 401
    admin.patch("/api/v1/permissions", json={"supervisor.access_config_portal": True})
    # Viewing queue settings (on by default) lets them listen; changing needs "manage".
    assert sue.get(URL).status_code == 200
    assert sue.get(f"{MUSIC}/default/audio").status_code == 200
    assert _put(sue, f"{URL}/welcome/en", sine_wav(seconds=0.1)).status_code == 403
    admin.patch("/api/v1/permissions", json={"supervisor.manage_queue_settings": True})
    assert _put(sue, f"{URL}/welcome/en", sine_wav(seconds=0.1)).status_code == 200
    assert sue.delete(f"{URL}/welcome/en").status_code == 204
