"""Templates (jinja2, every value escaped) and our own static files, nothing from outside."""

from __future__ import annotations

import hashlib
import mimetypes
from functools import cache
from pathlib import Path
from typing import Any

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

import locales
from locales import _
from reports.kpi_words import metric_name
from web.pages import texts

WEB = Path(__file__).resolve().parent.parent
TEMPLATES = WEB / "templates"
STATIC = WEB / "static"
STATIC_PREFIX = "/static/pages/"
# No inline script, no outside origin; the token in the URL never leaves as a Referer.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'self'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # ``_`` looks the language up when called, so one environment serves every language.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        locales.gettext, locales.ngettext, newstyle=True
    )
    env.globals["t"] = texts
    env.globals["metric_name"] = metric_name
    env.globals["asset"] = asset_url
    return env


def render(template: str, **values: Any) -> str:
    """The page in the language in force (``<html lang>`` too)."""
    return environment().get_template(template).render(lang=locales.language(), **values)


def part(template: str, macro: str, *args: Any) -> str:
    """One macro of a template, as the live updates send it."""
    module = environment().get_template(template).module
    return str(getattr(module, macro)(*args))


def html_response(body: str, *, status: int = 200) -> web.Response:
    response = web.Response(
        text=body,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers=SECURITY_HEADERS,
    )
    response.enable_compression()  # gzip when the browser takes it: tables shrink tenfold
    return response


def not_found() -> web.Response:
    """The same answer for every token that opens nothing: no figures, no names."""
    return web.Response(
        text=_(texts.NOT_FOUND),
        status=404,
        content_type="text/plain",
        charset="utf-8",
        headers=SECURITY_HEADERS,
    )


@cache
def _static_files() -> dict[str, tuple[bytes, str, str]]:
    files = {}
    for path in STATIC.rglob("*"):
        if path.is_file() and not path.name.startswith(("LICENSE", ".")):
            name = path.relative_to(STATIC).as_posix()
            kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
            if name.endswith(".woff"):
                kind = "font/woff"
            body = path.read_bytes()
            files[name] = (body, kind, hashlib.sha256(body).hexdigest()[:12])
    return files


def asset_url(name: str) -> str:
    """A static file's URL with its content hash, so browsers may keep it for a year."""
    return f"{STATIC_PREFIX}{name}?v={_static_files()[name][2]}"


async def static_file(request: web.Request) -> web.Response:
    found = _static_files().get(request.match_info["name"])
    if found is None:
        raise web.HTTPNotFound()
    body, kind, _ = found
    response = web.Response(
        body=body,
        content_type=kind,
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )
    if not kind.startswith("font/"):  # woff is compressed already
        response.enable_compression()
    return response
