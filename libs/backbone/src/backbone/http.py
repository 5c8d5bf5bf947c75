"""A small threaded HTTP server for a service's read-only pages (WSGI, standard library)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

log = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class WebSpec:
    """A WSGI application a service serves, and where."""

    app: WsgiApp
    host: str
    port: int
    name: str = "web"


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    """Logs requests through ``logging`` at DEBUG instead of printing them to stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)


def serve_wsgi(spec: WebSpec) -> tuple[WSGIServer, threading.Thread]:
    """Serve ``spec.app`` on a daemon thread; port 0 picks a free port."""
    server = make_server(
        spec.host, spec.port, spec.app, server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, name=spec.name, daemon=True)
    thread.start()
    return server, thread
