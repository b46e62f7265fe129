"""A preview with its desk, started on 127.0.0.1 by the test, and requests to it as a browser
(or a forger) would send them."""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from storyforge.serve.command import Preview, ServeOptions

DESK = "/__storyforge/desk"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str


@dataclass
class Running:
    preview: Preview
    port: int

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        sent = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
        for name, value in sent.items():
            if value is not None:
                connection.putheader(name, value)
        if body or method == "POST":
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        data = response.read().decode("utf-8", "replace")
        connection.close()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)

    def get(self, path: str, **headers: str) -> Answer:
        return self.request("GET", path, headers=headers)

    def token(self) -> str:
        match = re.search(r'name="token" value="([^"]+)"', self.get(DESK + "/add").body)
        assert match, "no form token on the desk"
        return match.group(1)

    def post(self, path: str, fields: dict[str, str], token: str | None = "auto",  # noqa: S107 - not a secret
             headers: dict[str, str] | None = None) -> Answer:
        """A form POST as the desk's own page sends it (Origin, token), unless told otherwise."""
        values = dict(fields)
        if token == "auto":  # noqa: S105 - the word that means "the desk's own"
            token = self.token()
        if token is not None:
            values["token"] = token
        sent = {"Origin": self.origin, "Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        return self.request("POST", DESK + path, urlencode(values).encode(), sent)

    def upload(self, path: str, name: str, data: bytes) -> Answer:
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\n{self.token()}\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"export\"; filename=\"{name}\"\r\n"
                "Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        return self.request("POST", DESK + path, body, {"Origin": self.origin,
                                                        "Content-Type": f"multipart/form-data; boundary={boundary}"})

    def epoch(self) -> int:
        return int(json.loads(self.get("/__storyforge/epoch?wait=0").body)["epoch"])

    def wait_for_page(self, path: str, text: str, present: bool = True, timeout: float = 10) -> Answer:
        """The previewed page once a rebuild has put ``text`` on it (or taken it off)."""
        end = time.monotonic() + timeout
        while True:
            answer = self.get(path)
            if (answer.status == 200 and text in answer.body) == present:
                return answer
            assert time.monotonic() < end, f"{path}: no rebuild {'put' if present else 'took'} {text!r} there"
            time.sleep(0.05)


@contextmanager
def running_desk(site: Path) -> Iterator[Running]:
    preview = Preview(ServeOptions(site_dir=site, port=0, quiet_seconds=0.02))
    preview.start()
    thread = threading.Thread(target=preview.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Running(preview, preview.server.server_address[1])
    finally:
        preview.server.shutdown()
        preview.stop()


@contextmanager
def serve_process(site: Path, logs: Path, **env: str) -> Iterator[tuple[subprocess.Popen[bytes], Running]]:
    """`storyforge serve` in a child process on 127.0.0.1 (killed afterwards if still running)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    out = logs / f"serve-{port}.out"
    with out.open("wb") as stdout, (logs / f"serve-{port}.err").open("wb") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "storyforge", "serve", "--site", str(site), "--port",
                                    str(port)], stdout=stdout, stderr=stderr, env={**os.environ, **env})
    try:
        deadline = time.monotonic() + 20
        while b"moderation desk:" not in out.read_bytes():
            assert process.poll() is None and time.monotonic() < deadline, (logs / f"serve-{port}.err").read_text()
            time.sleep(0.05)
        yield process, Running(None, port)  # type: ignore[arg-type]
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
