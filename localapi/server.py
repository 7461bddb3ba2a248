"""HTTP plumbing of the local API server: routing, request log, fault injection, ETag/304.

Platform behaviour lives in one module per API (``hub``, ``github``, ``git_http``, ``openai_api``,
...), each exposing a :class:`Router`. This module knows nothing about any platform.

Fault injection is per route name (``"hub.model_info"``, ``"github.commits"``, or ``"*"``): a fault
can answer a status (with headers such as ``Retry-After``), delay the answer, or truncate the body,
for the next ``times`` matching requests. Tests set faults in-process (:attr:`LocalAPI.faults`) or
over HTTP (``POST /_admin/faults``), and read back what the server saw (:attr:`LocalAPI.log`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    base_url: str

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Response:
    status: int = 200
    body: bytes | str | Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    etag: bool = True  # compute an ETag and honour If-None-Match (GET only)

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        self.headers.setdefault("Content-Type", "application/json; charset=utf-8")
        return json.dumps(self.body).encode()


def json_response(body: Any, status: int = 200, **headers: str) -> Response:
    return Response(status, body, {"Content-Type": "application/json; charset=utf-8", **headers})


Handler = Callable[..., Response]


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    name: str
    handler: Handler


class Router:
    """Routes of one API under a path prefix; handlers get the request and the regex groups."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix.rstrip("/")
        self.routes: list[Route] = []

    def route(self, method: str, pattern: str, name: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.routes.append(Route(method, re.compile(f"^{self.prefix}{pattern}$"), name, fn))
            return fn

        return register

    def get(self, pattern: str, name: str) -> Callable[[Handler], Handler]:
        return self.route("GET", pattern, name)

    def post(self, pattern: str, name: str) -> Callable[[Handler], Handler]:
        return self.route("POST", pattern, name)


UNLOGGED = "_released"
"""The route name of a request whose delay reset() cut short: it belongs to the test before the reset."""


@dataclass
class Fault:
    route: str = "*"
    status: int | None = None
    times: int = 1  # how many matching requests it affects; -1 for all
    delay: float = 0.0
    truncate: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


@dataclass
class Seen:
    method: str
    path: str
    route: str
    status: int
    at: float
    user: str | None = None  # the user name of Basic credentials, never the password (credential tests)
    size: int = 0  # bytes of the answer's body (what a request costs in transfer)


class LocalAPI:
    """The server. ``LocalAPI(data_dir, routers).start()`` returns its base URL."""

    def __init__(self, data_dir: Path | str, routers: Iterable[Router] | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.routers = list(routers) if routers is not None else default_routers(self.data_dir)
        self.faults: list[Fault] = []
        self.log: list[Seen] = []
        self.in_flight = 0
        self.peak_in_flight = 0  # most requests handled at once since the last reset (concurrency tests)
        self._lock = threading.Lock()
        self._released = threading.Event()  # set by reset(): answers held back by a delay fault go out at once
        self._server: ThreadingHTTPServer | None = None
        self.base_url = ""

    # -- URLs the real clients are pointed at --------------------------------------------------
    @property
    def hf_endpoint(self) -> str:
        return f"{self.base_url}/hf"

    @property
    def github_api(self) -> str:
        return f"{self.base_url}/github/api"

    @property
    def github_git(self) -> str:
        return f"{self.base_url}/github/git"

    @property
    def openai_base(self) -> str:
        return f"{self.base_url}/openai/v1"

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        handler = type("BoundHandler", (_Handler,), {"api": self})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self.base_url = f"http://{host}:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, name="localapi", daemon=True).start()
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> LocalAPI:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- test helpers ---------------------------------------------------------------------------
    def inject(self, **fault: Any) -> Fault:
        f = Fault(**fault)
        with self._lock:
            self.faults.append(f)
        return f

    def reset(self) -> None:
        """Clear faults and the request log; answers still held back by a delay fault are sent now
        (a test that stalls the server does not leave its successor waiting out the stall)."""
        with self._lock:
            released, self._released = self._released, threading.Event()
            released.set()
            self.faults.clear()
            self.log.clear()
            self.peak_in_flight = self.in_flight

    def count(self, route_prefix: str = "") -> int:
        """Requests seen whose route name starts with ``route_prefix`` (admin calls excluded)."""
        with self._lock:
            return sum(1 for s in self.log if s.route.startswith(route_prefix))

    # -- dispatch -------------------------------------------------------------------------------
    def _match(self, method: str, path: str) -> tuple[Route, re.Match[str]] | None:
        for router in self.routers:
            for route in router.routes:
                if route.method == method or (method == "HEAD" and route.method == "GET"):
                    m = route.pattern.match(path)
                    if m:
                        return route, m
        return None

    def _take_fault(self, route: str) -> Fault | None:
        with self._lock:
            for f in self.faults:
                if f.times != 0 and (f.route == "*" or f.route == route or route.startswith(f.route + ".")):
                    if f.times > 0:
                        f.times -= 1
                    return f
        return None

    def _admin(self, req: Request) -> Response:
        if req.path == "/_admin/requests":
            with self._lock:
                return json_response([s.__dict__ for s in self.log])
        if req.path == "/_admin/faults" and req.method == "POST":
            for spec in req.json() or []:
                self.inject(**spec)
            return json_response({"faults": len(self.faults)})
        if req.path == "/_admin/reset" and req.method == "POST":
            self.reset()
            return json_response({"ok": True})
        return json_response({"error": "unknown admin call"}, 404)

    def handle(self, req: Request) -> tuple[Response, str, Fault | None]:
        if req.path.startswith("/_admin/"):
            return self._admin(req), "_admin", None
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            return self._dispatch(req)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _dispatch(self, req: Request) -> tuple[Response, str, Fault | None]:
        found = self._match(req.method, req.path)
        name = found[0].name if found else "unmatched"
        fault = self._take_fault(name)
        if fault and fault.delay and self._released.wait(fault.delay):
            name = UNLOGGED  # released by reset(): answered, but not counted in the new log
        if fault and fault.status:
            body = fault.body if fault.body is not None else {"error": f"injected {fault.status}"}
            return json_response(body, fault.status, **fault.headers), name, fault
        if not found:
            return json_response({"error": f"no route for {req.method} {req.path}"}, 404), name, fault
        route, match = found
        try:
            resp = route.handler(req, *match.groups())
        except Exception as exc:  # a bug in a fake route must be visible, not a hung client
            resp = json_response({"error": f"{type(exc).__name__}: {exc}"}, 500)
        return resp, name, fault


class _Handler(BaseHTTPRequestHandler):
    api: LocalAPI
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the API keeps its own log
        return

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        host = self.headers.get("Host") or f"{self.server.server_address[0]}:{self.server.server_address[1]}"
        req = Request(
            self.command,
            parts.path,
            parse_qs(parts.query, keep_blank_values=True),
            {k.lower(): v for k, v in self.headers.items()},
            body,
            f"http://{host}",
        )
        resp, route, fault = self.api.handle(req)
        payload = resp.payload()
        headers = dict(resp.headers)
        if resp.etag and req.method in ("GET", "HEAD") and resp.status == 200:
            etag = headers.setdefault("ETag", '"' + hashlib.sha1(payload).hexdigest() + '"')
            if req.headers.get("if-none-match") == etag:
                resp, payload = Response(304), b""
        if fault and fault.truncate and payload:
            payload = payload[: max(1, len(payload) // 2)]
            headers["Content-Length"] = str(len(payload))
        headers.setdefault("Content-Length", str(len(payload)))
        if route not in ("_admin", UNLOGGED):
            with self.api._lock:
                self.api.log.append(Seen(req.method, req.path, route, resp.status, time.time(), _basic_user(req.headers),
                                         0 if req.method == "HEAD" or resp.status == 304 else len(payload)))
        self.send_response(resp.status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if req.method != "HEAD" and resp.status != 304:
            self.wfile.write(payload)

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = _serve


def _basic_user(headers: dict[str, str]) -> str | None:
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        return base64.b64decode(value.strip()).decode().split(":", 1)[0]
    except ValueError:
        return None


def default_routers(data_dir: Path) -> list[Router]:
    """Every API the project serves, reading its data from ``data_dir``."""
    from localapi import routes

    return routes.all_routers(data_dir)
