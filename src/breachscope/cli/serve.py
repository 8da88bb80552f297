"""``breachscope serve``: the team server (JSON API, sign-in, console) under uvicorn."""

from __future__ import annotations

from pathlib import Path

import click

from breachscope.cli.options import config_option, db_option
from breachscope.errors import InputError


def _directories(items: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, url = item.partition("=")
        if not sep or not name.strip() or not url.strip():
            raise InputError(
                f"--directory {item!r}: expected NAME=URL", "e.g. --directory crm=postgresql://..."
            )
        out[name.strip()] = url.strip()
    return out


@click.command("serve")
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--secure-cookies",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Mark the session cookie Secure: when the request came over TLS (auto), always, never.",
)
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    metavar="ADDR",
    help="A TLS reverse proxy whose X-Forwarded-For/-Proto are believed (repeatable).",
)
@click.option(
    "--public-origin",
    default="",
    metavar="URL",
    help="The origin browsers use, e.g. https://breach.example.com.",
)
@click.option("--max-upload-mb", default=2048, show_default=True, type=int, help="Largest dataset upload.")
@click.option(
    "--directory",
    "directories",
    multiple=True,
    metavar="NAME=URL",
    help="A directory source the team may scope against by NAME (a database URL or a file; repeatable).",
)
@config_option("notify.toml for notice preview and send (default: $BREACHSCOPE_NOTIFY_CONFIG).")
@click.option(
    "--upload-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where uploads are streamed (default: a private folder in the system temp folder).",
)
def command(
    db: str | None,
    host: str,
    port: int,
    secure_cookies: str,
    trusted_proxies: tuple[str, ...],
    public_origin: str,
    max_upload_mb: int,
    directories: tuple[str, ...],
    config_path: Path | None,
    upload_dir: Path | None,
) -> None:
    """Serve the case to the team: JSON API under /api/v1, sign-in, the console.

    Add the first admin with: breachscope users add EMAIL --role admin. Put it behind a TLS
    reverse proxy to reach it from other machines (docs/server.md)."""
    import uvicorn

    from breachscope.web.app import create_app, single_server
    from breachscope.web.settings import ServerSettings

    settings = ServerSettings(
        db_url=db,
        secure_cookies=secure_cookies,
        trusted_proxies=trusted_proxies,
        public_origin=public_origin,
        max_upload_bytes=max_upload_mb * 1024 * 1024,
        directories=_directories(directories),
        notify_config=config_path,
        upload_dir=upload_dir,
    )
    with single_server(db):  # SQLite: a second server on the same case file is refused
        app = create_app(settings)
        click.echo(f"breachscope serving on http://{host}:{port}/ (Ctrl+C stops)", err=True)
        uvicorn.run(
            app,
            host=host,
            port=port,
            proxy_headers=bool(trusted_proxies),
            forwarded_allow_ips=list(trusted_proxies) or None,
            server_header=False,
            log_level="info",
        )
