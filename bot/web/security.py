"""Security headers on every response, and pages served under a strict, nonce-based CSP.

Every response: `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer` (web chat
tokens travel in some URLs), `X-Frame-Options: DENY`, and — unless the response sets its own —
`Content-Security-Policy: default-src 'none'; frame-ancestors 'none'` (API answers are data,
never a document to run).

Pages get a fresh nonce per response: only the page's own `<script>` and `<style>` elements
(and scripts from this origin) run; the few static `style="…"` attributes in our HTML are
allowed by their hashes ('unsafe-hashes'), computed from the files, so nothing else inline is.
No page may be framed (`frame-ancestors 'none'`); the widget is embedded as a script, not a
frame.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import re
import secrets
from collections.abc import Callable
from pathlib import Path

from fastapi.responses import HTMLResponse

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# What bot.web.edge adds to every response that has not set the header itself.
RESPONSE_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", API_CSP.encode()),
)
# The <style> elements redoc.standalone.js (2.5.3, shipped by the pinned fastapi-offline)
# inserts while loading: an empty one and its scrollbar styles. A new bundle with other
# styles shows up as a CSP violation in tests/browser/test_csp.py.
DOCS_STYLE_HASHES = (
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
)
_STYLE_ATTR = re.compile(r"""\sstyle="([^"]*)\"""")
_OPENING_TAG = re.compile(r"<(script|style)(?=[\s>])")


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def page_csp(nonce: str, style_hashes: tuple[str, ...] = (), docs: bool = False) -> str:
    """The policy of one page response."""
    styles = " ".join(("'self'", f"'nonce-{nonce}'", *style_hashes))
    if style_hashes:
        styles += " 'unsafe-hashes'"
    workers = "'none'"
    if docs:
        # ReDoc searches in a worker it builds from a blob, and its bundle adds two <style>
        # elements as it loads, before it knows the nonce: those two by their hashes.
        styles += " " + " ".join(DOCS_STYLE_HASHES)
        workers = "blob:"
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            f"style-src {styles}",
            "img-src 'self' data:",
            "connect-src 'self'",
            "font-src 'self'",
            f"worker-src {workers}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


@functools.cache
def _template(path: Path) -> tuple[str, tuple[str, ...]]:
    text = path.read_text(encoding="utf-8")
    hashes = tuple(sorted({_sha256(html.unescape(v)) for v in _STYLE_ATTR.findall(text)}))
    return text, hashes


def with_nonce(text: str, nonce: str) -> str:
    """Give every `<script>` and `<style>` element of `text` the response's nonce."""
    return _OPENING_TAG.sub(lambda m: f'<{m.group(1)} nonce="{nonce}"', text)


def page(path: Path, fill: Callable[[str], str] | None = None) -> HTMLResponse:
    """A page of ours under the strict policy, with a nonce of its own; `fill` puts live
    values into its text (never into a style attribute: those are hashed as written)."""
    text, style_hashes = _template(path)
    if fill is not None:
        text = fill(text)
    nonce = secrets.token_urlsafe(18)
    return HTMLResponse(
        with_nonce(text, nonce),
        headers={"Content-Security-Policy": page_csp(nonce, style_hashes)},
    )
