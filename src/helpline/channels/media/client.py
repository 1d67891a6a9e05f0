"""The asyncio client of the media engine process: the ``MediaEngine`` port of the SIP side.

``start`` runs ``python -m helpline.channels.media.engine`` as a child process and talks to
it over its stdin and stdout in JSON lines (``protocol``); the engine's stderr is ours, so
its logs land in the same place as the parent's. Every command returns once the engine has
acknowledged it, or raises ``MediaEngineError`` with the engine's message.

Events reach ``on_event`` in this client's event loop::

    {"event": "ready"}                            the engine is up (after start or a restart)
    {"event": "dtmf", "leg": id, "digit": "5"}    RFC 4733, on the first packet of an event
    {"event": "play_done", "leg": id}             a non-looping play list ended
    {"event": "rtp_timeout", "leg": id}           no RTP on a connected leg for the timeout
    {"event": "overrun", "ticks": n}              the 20 ms clock fell behind, n ticks skipped
    {"event": "recording_stopped", "recording": id, "reason": "legs_gone" | "error: ..."}
    {"event": "engine_restarted"}                 the engine crashed and was started again:
                                                  every leg, conference and recording is gone

A crashed engine is restarted once per crash, after a back-off that doubles while it keeps
crashing within a minute of starting (``restart_backoff`` up to ``max_restart_backoff``).
Commands in flight when it crashes, and commands sent while it is down, raise
``MediaEngineError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from helpline.channels.media import protocol as proto

log = logging.getLogger(__name__)

MediaEvent = dict[str, Any]

ENGINE_MODULE = "helpline.channels.media.engine"
STABLE_SECONDS = 60.0  # an engine that ran this long before crashing resets the back-off


class MediaEngineError(Exception):
    """The engine refused a command (the message is its own), or is not running."""


PathArg = str | os.PathLike[str]


class MediaEngineClient:
    def __init__(
        self,
        *,
        host: str,
        rtp_ports: tuple[int, int],
        on_event: Callable[[MediaEvent], None] | None = None,
        rtp_timeout: float | None = None,
        command_timeout: float = 30.0,
        start_timeout: float = 15.0,
        restart: bool = True,
        restart_backoff: float = 0.5,
        max_restart_backoff: float = 30.0,
        python: str | None = None,
    ) -> None:
        low, high = rtp_ports
        if not 0 < low <= high <= 65535:
            raise ValueError(f"bad RTP port range {rtp_ports!r}")
        self.host = host
        self.rtp_ports = (low, high)
        self.on_event = on_event
        self.rtp_timeout = rtp_timeout
        self.command_timeout = command_timeout
        self.start_timeout = start_timeout
        self.restart = restart
        self.restart_backoff = restart_backoff
        self.max_restart_backoff = max_restart_backoff
        self.python = python or sys.executable
        self.restarts = 0  # times the engine was restarted after a crash
        self._process: asyncio.subprocess.Process | None = None
        self._ready = False
        self._stopping = False
        self._next_id = 0
        self._pending: dict[int, asyncio.Future[proto.Message]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._restarter: asyncio.Task[None] | None = None
        self._started_at = 0.0
        self._crashes = 0

    # --- life cycle ---------------------------------------------------------------------

    @property
    def running(self) -> bool:
        process = self._process
        return (
            process is not None
            and process.returncode is None
            and self._ready
            and not self._stopping
        )

    @property
    def pid(self) -> int | None:
        """The engine process's id while it runs (for monitoring)."""
        process = self._process
        return process.pid if process is not None and process.returncode is None else None

    def command_line(self) -> list[str]:
        low, high = self.rtp_ports
        args = [
            self.python,
            "-m",
            ENGINE_MODULE,
            "--host",
            self.host,
            "--rtp-ports",
            f"{low}-{high}",
        ]
        if self.rtp_timeout is not None:
            args += ["--rtp-timeout", repr(float(self.rtp_timeout))]
        return args

    async def start(self) -> None:
        if self.running:
            return
        self._stopping = False
        self._crashes = 0
        await self._spawn()

    async def _spawn(self) -> None:
        loop = asyncio.get_running_loop()
        process = await asyncio.create_subprocess_exec(
            *self.command_line(),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=None,
            limit=proto.MAX_LINE_BYTES,
        )
        self._process = process
        self._ready = False
        ready: asyncio.Future[None] = loop.create_future()
        self._reader = loop.create_task(self._read(process, ready))
        try:
            await asyncio.wait_for(asyncio.shield(ready), self.start_timeout)
        except TimeoutError:
            await self._kill(process)
            raise MediaEngineError(
                f"the media engine did not start within {self.start_timeout:g} s"
            ) from None
        self._ready = True
        self._started_at = loop.time()

    async def stop(self) -> None:
        """Ask the engine to exit (it closes its recordings), then terminate or kill it."""
        self._stopping = True
        restarter = self._restarter
        if restarter is not None and restarter is not asyncio.current_task():
            restarter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await restarter
        self._restarter = None
        process = self._process
        if process is None:
            return
        if process.returncode is None:
            if self._ready:
                with contextlib.suppress(MediaEngineError):
                    await self._call(proto.SHUTDOWN, _timeout=2.0, _allow_stopping=True)
            if process.stdin is not None:
                process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), 3.0)
            except TimeoutError:
                await self._kill(process)
        reader = self._reader
        if reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        self._reader = None
        self._process = None
        self._ready = False

    @staticmethod
    async def _kill(process: asyncio.subprocess.Process) -> None:
        if process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 2.0)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()

    async def _read(self, process: asyncio.subprocess.Process, ready: asyncio.Future[None]) -> None:
        stdout = process.stdout
        assert stdout is not None
        try:
            while True:
                try:
                    line = await stdout.readline()
                except ValueError:
                    log.warning("media engine: a line longer than the limit was skipped")
                    continue
                if not line:
                    break
                try:
                    message = proto.decode(line)
                except proto.ProtocolError as exc:
                    log.warning("media engine: unreadable line %r: %s", line[:200], exc)
                    continue
                if proto.is_event(message):
                    if message["event"] == proto.READY and not ready.done():
                        ready.set_result(None)
                    self._dispatch(message)
                elif proto.is_reply(message):
                    request_id = proto.request_id(message)
                    future = self._pending.pop(request_id, None) if request_id is not None else None
                    if future is not None:
                        if not future.done():
                            future.set_result(message)
                    else:
                        log.warning("media engine: reply to no request: %s", message)
        finally:
            code = await process.wait()
            error = MediaEngineError(f"the media engine exited (code {code})")
            if not ready.done():
                ready.set_exception(
                    MediaEngineError(
                        f"the media engine exited with code {code} before it was ready "
                        "(its log says why)"
                    )
                )
                ready.exception()
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(error)
            self._pending.clear()
            if process is self._process and not self._stopping and ready.exception() is None:
                self._crashed(code)

    def _crashed(self, code: int) -> None:
        self._ready = False
        self._process = None
        log.error("the media engine exited unexpectedly (code %s)", code)
        if not self.restart:
            return
        if self._restarter is not None and not self._restarter.done():
            return  # the restarter notices this crash itself
        self._restarter = asyncio.get_running_loop().create_task(self._restart())

    async def _restart(self) -> None:
        loop = asyncio.get_running_loop()
        if loop.time() - self._started_at >= STABLE_SECONDS:
            self._crashes = 0
        self._crashes += 1
        delay = min(self.max_restart_backoff, self.restart_backoff * 2 ** (self._crashes - 1))
        while not self._stopping:
            log.warning("restarting the media engine in %.1f s", delay)
            await asyncio.sleep(delay)
            if self._stopping:
                return
            try:
                await self._spawn()
            except (MediaEngineError, OSError) as exc:
                log.error("the media engine did not restart: %s", exc)
                self._crashes += 1
                delay = min(self.max_restart_backoff, delay * 2)
                continue
            if self._process is None or self._process.returncode is not None:
                self._crashes += 1
                delay = min(self.max_restart_backoff, delay * 2)
                continue  # it crashed again at once
            self.restarts += 1
            self._dispatch({"event": proto.ENGINE_RESTARTED})
            return

    def _dispatch(self, message: MediaEvent) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(message)
        except Exception:
            log.exception("media engine event handler failed on %s", message)

    # --- commands -----------------------------------------------------------------------

    async def _call(
        self,
        cmd: str,
        *,
        _timeout: float | None = None,
        _allow_stopping: bool = False,
        **args: Any,
    ) -> proto.Message:
        process = self._process
        if (
            process is None
            or process.returncode is not None
            or not self._ready
            or (self._stopping and not _allow_stopping)
            or process.stdin is None
        ):
            raise MediaEngineError("the media engine is not running")
        self._next_id += 1
        request_id = self._next_id
        future: asyncio.Future[proto.Message] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            process.stdin.write(proto.request(request_id, cmd, **args))
            await process.stdin.drain()
            reply = await asyncio.wait_for(future, _timeout or self.command_timeout)
        except TimeoutError:
            waited = _timeout or self.command_timeout
            raise MediaEngineError(
                f"the media engine did not answer {cmd} within {waited:g} s"
            ) from None
        except (ConnectionError, RuntimeError) as exc:
            raise MediaEngineError(f"the media engine is not running ({exc})") from None
        finally:
            self._pending.pop(request_id, None)
        if not reply.get("ok"):
            raise MediaEngineError(str(reply.get("error") or f"{cmd} failed"))
        return reply

    async def ping(self) -> dict[str, Any]:
        """Counts of legs, conferences and recordings, the clock's tick and overruns."""
        reply = await self._call(proto.PING)
        return {key: value for key, value in reply.items() if key not in ("id", "ok")}

    async def create_leg(self, leg_id: str) -> int:
        reply = await self._call(proto.CREATE_LEG, leg=leg_id)
        return int(reply["port"])

    async def connect_leg(
        self,
        leg_id: str,
        *,
        remote_host: str,
        remote_port: int,
        codec: str,
        payload_type: int,
        dtmf_payload_type: int | None = 101,
    ) -> None:
        await self._call(
            proto.CONNECT_LEG,
            leg=leg_id,
            remote_host=remote_host,
            remote_port=remote_port,
            codec=codec,
            payload_type=payload_type,
            dtmf_payload_type=dtmf_payload_type,
        )

    async def play(self, leg_id: str, files: Sequence[PathArg], *, loop: bool = False) -> None:
        await self._call(proto.PLAY, leg=leg_id, files=_paths(files), loop=loop)

    async def stop_playing(self, leg_id: str) -> None:
        await self._call(proto.STOP_PLAYING, leg=leg_id)

    async def bridge(self, leg_a: str, leg_b: str) -> None:
        await self._call(proto.BRIDGE, leg_a=leg_a, leg_b=leg_b)

    async def unbridge(self, leg_id: str) -> None:
        await self._call(proto.UNBRIDGE, leg=leg_id)

    async def hold(self, leg_id: str, files: Sequence[PathArg]) -> None:
        await self._call(proto.HOLD, leg=leg_id, files=_paths(files))

    async def unhold(self, leg_id: str) -> None:
        await self._call(proto.UNHOLD, leg=leg_id)

    async def send_dtmf(self, leg_id: str, digit: str, *, duration_ms: int | None = None) -> None:
        await self._call(proto.SEND_DTMF, leg=leg_id, digit=digit, duration_ms=duration_ms)

    async def start_recording(
        self, recording_id: str, path: PathArg, legs: Sequence[str], *, mixed: bool = True
    ) -> None:
        await self._call(
            proto.START_RECORDING,
            recording=recording_id,
            path=_absolute(path),
            legs=list(legs),
            mixed=mixed,
        )

    async def pause_recording(self, recording_id: str) -> None:
        await self._call(proto.PAUSE_RECORDING, recording=recording_id)

    async def resume_recording(self, recording_id: str) -> None:
        await self._call(proto.RESUME_RECORDING, recording=recording_id)

    async def stop_recording(self, recording_id: str) -> None:
        await self._call(proto.STOP_RECORDING, recording=recording_id)

    async def conference(
        self,
        room_id: str,
        legs: Sequence[str],
        *,
        listen_only: Sequence[str] = (),
        whisper: Mapping[str, str] | None = None,
    ) -> None:
        await self._call(
            proto.CONFERENCE,
            room=room_id,
            legs=list(legs),
            listen_only=list(listen_only),
            whisper=dict(whisper or {}),
        )

    async def end_conference(self, room_id: str) -> None:
        await self._call(proto.END_CONFERENCE, room=room_id)

    async def destroy_leg(self, leg_id: str) -> None:
        await self._call(proto.DESTROY_LEG, leg=leg_id)

    async def stats(self, leg_id: str) -> dict[str, int]:
        reply = await self._call(proto.STATS, leg=leg_id)
        return {str(key): int(value) for key, value in reply["stats"].items()}


def _paths(files: Sequence[PathArg]) -> list[str]:
    if isinstance(files, str | os.PathLike):
        raise TypeError("files must be a list of paths, not one path")
    return [_absolute(path) for path in files]


def _absolute(path: PathArg) -> str:
    # the engine may not share our idea of the working directory forever: send full paths
    return os.path.abspath(path)
