"""The ``helpline`` command."""

from __future__ import annotations

import asyncio
import getpass
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from helpline.config import Settings

# Locals are never shown: they may hold passwords.
app = typer.Typer(
    help="Helpline: a self-hosted contact center.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        for problem in error.errors():
            field = ".".join(str(part) for part in problem["loc"]) or "settings"
            name = f"HELPLINE_{field.upper()}" if field != "settings" else "settings"
            typer.echo(f"error: {name}: {problem['msg']}", err=True)
        raise typer.Exit(code=2) from None


def prepare(settings: Settings) -> None:
    """Create the data directories and bring the database schema up to date."""
    from helpline.migrations import upgrade_database

    for directory in (settings.data_dir, settings.recordings_dir, settings.attachments_dir):
        directory.mkdir(parents=True, exist_ok=True)
    upgrade_database(settings.resolved_database_url)


async def _in_transaction(settings: Settings, work):  # type: ignore[no-untyped-def]
    from helpline.storage.engine import create_engine, create_session_factory
    from helpline.storage.unit_of_work import unit_of_work

    engine = create_engine(settings.resolved_database_url)
    try:
        async with unit_of_work(create_session_factory(engine)) as session:
            return await work(session)
    finally:
        await engine.dispose()


def ensure_admin(settings: Settings) -> None:
    from helpline.timeutil import utcnow
    from helpline.users import service

    async def work(session):  # type: ignore[no-untyped-def]
        return await service.ensure_first_admin(
            session=session, password=settings.admin_password, now=utcnow()
        )

    created = asyncio.run(_in_transaction(settings, work))
    if created is None:
        return
    _admin, password = created
    typer.echo("Created the first admin account.")
    typer.echo("  user name: admin")
    if settings.admin_password:
        typer.echo("  password:  (from HELPLINE_ADMIN_PASSWORD)")
    else:
        typer.echo(f"  password:  {password}")
        typer.echo("  This password is shown once: keep it, or change it under My account.")


def load_demo(settings: Settings) -> None:
    from helpline.demo import service
    from helpline.timeutil import utcnow

    async def work(session):  # type: ignore[no-untyped-def]
        return await service.load(session=session, now=utcnow())

    report = asyncio.run(_in_transaction(settings, work))
    if not report.created:
        typer.echo("The demo organization is already loaded.")
        return
    typer.echo("Loaded the demo organization: 3 call queues, 2 chat queues, 1 campaign.")
    typer.echo(
        f"  agents agent1…agent10 (extensions 201…210), password: {service.DEMO_AGENT_PASSWORD}"
    )
    typer.echo(
        f"  supervisors supervisor1, supervisor2, password: {service.DEMO_SUPERVISOR_PASSWORD}"
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="HTTP port")] = 8000,
    demo: Annotated[bool, typer.Option("--demo", help="Load the demo organization")] = False,
) -> None:
    """Run Helpline (web, API, real-time) on one machine."""
    import uvicorn

    from helpline.web.app import create_app

    settings = load_settings()
    prepare(settings)
    ensure_admin(settings)
    if demo:
        load_demo(settings)
    typer.echo(f"Helpline is listening on http://{host}:{port}/ (data in {settings.data_dir})")
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        ws="websockets",
        log_level="info",
        proxy_headers=False,
    )


@app.command()
def demo() -> None:
    """Load the demo organization (queues, campaign, supervisors, agents, settings)."""
    settings = load_settings()
    prepare(settings)
    ensure_admin(settings)
    load_demo(settings)


@app.command()
def simulate(
    config: Annotated[Path, typer.Argument(help="Simulation file (TOML or JSON)")],
) -> None:
    """Run the ACD on a virtual clock and print service level, ASA, abandonment, occupancy."""
    from helpline.analytics.simulate import SimulationConfigError, run

    try:
        typer.echo(run(config))
    except (SimulationConfigError, OSError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations."""
    from helpline.migrations import current_revision

    settings = load_settings()
    prepare(settings)
    typer.echo(f"Database is at revision {current_revision(settings.resolved_database_url)}.")


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument()],
    display_name: Annotated[str | None, typer.Option("--name", help="Full name")] = None,
    role: Annotated[
        list[str] | None, typer.Option("--role", help="admin, supervisor or agent")
    ] = None,
    email: Annotated[str | None, typer.Option()] = None,
    extension: Annotated[list[str] | None, typer.Option("--extension", help="A line")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
) -> None:
    """Create a user (the password is asked for, or read from standard input)."""
    from helpline.errors import DomainError
    from helpline.timeutil import utcnow
    from helpline.users import service
    from helpline.users.schemas import UserCreate

    settings = load_settings()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            typer.echo("error: the passwords differ", err=True)
            raise typer.Exit(code=2)
    try:
        user_in = UserCreate(
            username=username,
            display_name=display_name or username,
            email=email,
            password=password,
            roles=role or [],
            lines=[{"extension": ext} for ext in extension or []],
        )
    except ValidationError as error:
        for problem in error.errors():
            where = ".".join(str(part) for part in problem["loc"])
            typer.echo(f"error: {where}: {problem['msg']}", err=True)
        raise typer.Exit(code=2) from None
    prepare(settings)

    async def work(session):  # type: ignore[no-untyped-def]
        return await service.create(session=session, user_in=user_in, now=utcnow(), actor_id=None)

    try:
        user = asyncio.run(_in_transaction(settings, work))
    except DomainError as error:
        typer.echo(f"error: {error.message}", err=True)
        raise typer.Exit(code=1) from None
    roles = ", ".join(user.role_names) or "none"
    typer.echo(f"Created user {user.username} (id {user.id}) with roles: {roles}.")


def main() -> None:
    app()
