"""A tiny urllib client for talking to the service over loopback, plus shared test constants."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

START_TIME = 1700000000.25
VERSION = "1.2.3"


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()


def fetch(url: str, method: str = "GET") -> Response:
    """Send one request and return the response, whatever its status."""
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return Response(response.status, dict(response.headers.items()), response.read())
    except urllib.error.HTTPError as err:
        with err:
            return Response(err.code, dict(err.headers.items()), err.read())


def eventually(check: Callable[[], bool], timeout: float = 2.0) -> bool:
    """Poll ``check`` until it holds or ``timeout`` seconds pass.

    The service records metrics and logs after the response is sent, so a client can see the response first.
    """
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
