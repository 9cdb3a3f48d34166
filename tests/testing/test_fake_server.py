"""The server itself: concurrency (threads, tasks, processes), lifecycle, raw HTTP edges."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anthropic
import httpx2
import openai
import pytest
from google import genai

from helicone_lite.testing import FakeProvider, Fault, Reply
from helicone_lite.testing.pytest_plugin import NonLoopbackConnectionError

PATHS = {
    "openai": ("/v1/chat/completions", {"model": "gpt-4o", "messages": [{"role": "user"}]}),
    "anthropic": ("/v1/messages", {"model": "claude-x", "max_tokens": 5, "messages": [{}]}),
    "gemini": ("/v1beta/models/gemini-x:generateContent", {"contents": [{"parts": [{}]}]}),
}


def _echoed(protocol: str, payload: dict[str, Any]) -> str:
    if protocol == "openai":
        return str(payload["choices"][0]["message"]["content"])
    if protocol == "anthropic":
        return str(payload["content"][0]["text"])
    return str(payload["candidates"][0]["content"]["parts"][0]["text"])


def _request(protocol: str, text: str) -> tuple[str, dict[str, Any]]:
    path, template = PATHS[protocol]
    body = json.loads(json.dumps(template))
    if protocol == "gemini":
        body["contents"][0]["parts"][0]["text"] = text
    else:
        body["messages"][0].update(role="user", content=text)
    return path, body


def test_threads_hammering_one_fake(fake: FakeProvider) -> None:
    """8 threads x 50 keep-alive calls, the three protocols interleaved, faults shared."""
    fake.script("gpt-4o", Fault(status=503), times=5)
    protocols = list(PATHS)

    def worker(n: int) -> list[str]:
        answers = []
        with httpx2.Client(base_url=fake.url) as client:
            for i in range(50):
                protocol = protocols[(n + i) % 3]
                path, body = _request(protocol, f"thread {n} call {i}")
                response = client.post(path, json=body)
                if response.status_code == 503:
                    answers.append("503")
                else:
                    answers.append(_echoed(protocol, response.json()))
        return answers

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(worker, range(8)))
    assert sum(answers.count("503") for answers in results) == 5
    for n, answers in enumerate(results):
        for i, answer in enumerate(answers):
            assert answer in ("503", f"echo: thread {n} call {i}")
    assert fake.calls() == 400
    assert sorted(r.seq for r in fake.requests) == list(range(1, 401))


def test_sdk_client_shared_by_threads(fake: FakeProvider, oai: openai.OpenAI) -> None:
    def call(i: int) -> str:
        r = oai.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": f"call {i}"}]
        )
        return r.choices[0].message.content or ""

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(call, range(40))) == [f"echo: call {i}" for i in range(40)]


async def test_async_tasks(fake: FakeProvider) -> None:
    async with openai.AsyncOpenAI(
        base_url=fake.openai_base_url, api_key="k", max_retries=0
    ) as client:
        replies = await asyncio.gather(
            *(
                client.chat.completions.create(
                    model="gpt-4o", messages=[{"role": "user", "content": f"task {i}"}]
                )
                for i in range(20)
            )
        )
    assert [r.choices[0].message.content for r in replies] == [f"echo: task {i}" for i in range(20)]


CHILD = """
import http.client, json, os, sys
from urllib.parse import urlsplit
url = urlsplit(os.environ["OPENAI_BASE_URL"])
conn = http.client.HTTPConnection(url.hostname, url.port)
for i in range(25):
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": sys.argv[1]}]}
    conn.request("POST", url.path + "/chat/completions", json.dumps(body),
                 {"authorization": "Bearer " + os.environ["OPENAI_API_KEY"]})
    reply = json.loads(conn.getresponse().read())
    assert reply["choices"][0]["message"]["content"] == "from parent", reply
"""


def test_child_processes_via_env(fake: FakeProvider) -> None:
    fake.script("*", Reply(text="from parent"))
    env = {**os.environ, **fake.env()}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, f"child {n}"], env=env, stderr=subprocess.PIPE, text=True
        )
        for n in range(4)
    ]
    for child in children:
        _, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
    assert fake.calls() == 100
    senders = {r.json["messages"][0]["content"] for r in fake.requests}
    assert senders == {f"child {n}" for n in range(4)}


def test_env_configures_every_sdk(fake: FakeProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "GOOGLE_GEMINI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in fake.env().items():
        monkeypatch.setenv(name, value)
    with openai.OpenAI(max_retries=0) as oai:
        assert oai.models.retrieve("gpt-4o").id == "gpt-4o"
    with anthropic.Anthropic(max_retries=0) as claude:
        claude.messages.create(
            model="claude-x", max_tokens=5, messages=[{"role": "user", "content": "x"}]
        )
    gemini = genai.Client()
    gemini.models.generate_content(model="gemini-x", contents="x")
    gemini.close()
    assert [r.protocol for r in fake.requests] == ["openai", "anthropic", "gemini"]


def test_env_and_urls(fake: FakeProvider) -> None:
    env = fake.env()
    assert fake.url == f"http://127.0.0.1:{fake.port}"
    assert env["OPENAI_BASE_URL"] == fake.openai_base_url == fake.url + "/v1"
    assert env["ANTHROPIC_BASE_URL"] == fake.anthropic_base_url == fake.url
    assert env["GOOGLE_GEMINI_BASE_URL"] == fake.gemini_base_url == fake.url
    assert env["OPENAI_API_KEY"] and env["ANTHROPIC_API_KEY"] and env["GOOGLE_API_KEY"]
    assert "127.0.0.1" in env["NO_PROXY"].split(",")


def test_lifecycle() -> None:
    fake = FakeProvider()
    assert not fake.running and "stopped" in repr(fake)
    with pytest.raises(RuntimeError):
        fake.url  # noqa: B018
    assert fake.start() is fake.start()  # idempotent
    port = fake.port
    fake.stop()
    fake.stop()  # idempotent
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_stop_is_prompt_with_open_connections_and_hangs() -> None:
    fake = FakeProvider().start()
    client = openai.OpenAI(base_url=fake.openai_base_url, api_key="k", max_retries=0)
    client.models.list()  # leaves an idle keep-alive connection open
    fake.enqueue(Fault(hang=60))
    errors: list[BaseException] = []

    def hanging_call() -> None:
        try:
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
        except BaseException as err:
            errors.append(err)

    caller = threading.Thread(target=hanging_call)
    caller.start()
    started = time.perf_counter()
    fake.stop()
    caller.join(timeout=10)
    assert not caller.is_alive()
    assert time.perf_counter() - started < 30  # well short of the hang: stop() cut it
    assert len(errors) == 1 and isinstance(errors[0], openai.APIConnectionError)
    client.close()


def test_unknown_route_is_a_404_and_recorded(fake: FakeProvider) -> None:
    response = httpx2.post(fake.url + "/v2/nothing", json={"model": "m"})
    assert response.status_code == 404
    assert "no POST /v2/nothing" in response.json()["error"]["message"]
    (request,) = fake.requests
    assert request.protocol == "unknown" and request.endpoint == "unknown"
    assert not request.inference and fake.calls() == 0


def test_invalid_json_is_a_400_in_the_protocol_format(fake: FakeProvider) -> None:
    response = httpx2.post(
        fake.anthropic_base_url + "/v1/messages",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert fake.last_request.json is None and fake.last_request.body == b"{not json"


def test_chunked_request_body(fake: FakeProvider) -> None:
    def body() -> Iterator[bytes]:
        yield b'{"model": "gpt-4o", '
        yield b'"messages": [{"role": "user", "content": "chunked"}]}'

    response = httpx2.post(fake.openai_base_url + "/chat/completions", content=body())
    assert response.json()["choices"][0]["message"]["content"] == "echo: chunked"
    assert fake.last_request.headers["transfer-encoding"] == "chunked"


def test_raw_socket_keep_alive_and_bad_request(fake: FakeProvider) -> None:
    body = json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]})
    request = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-length: {len(body)}\r\n\r\n"
        + body
    ).encode()
    with socket.create_connection(("127.0.0.1", fake.port)) as sock:
        reader = sock.makefile("rb")
        for _ in range(2):  # two requests on one connection
            sock.sendall(request)
            assert reader.readline() == b"HTTP/1.1 200 OK\r\n"
            headers = {}
            while (line := reader.readline()) != b"\r\n":
                name, _, value = line.decode().partition(":")
                headers[name.lower()] = value.strip()
            payload = json.loads(reader.read(int(headers["content-length"])))
            assert payload["choices"][0]["message"]["content"] == "echo: hi"
        sock.sendall(b"garbage\r\n\r\n")
        assert reader.readline().startswith(b"HTTP/1.1 400 ")


def test_importing_the_package_imports_no_provider_sdk(fresh_import: dict[str, set[str]]) -> None:
    # tests/conftest.py's fresh interpreter, after `import helicone_lite.testing` (and the steps
    # before it: what none of them loaded, importing the fake did not load either)
    loaded = fresh_import["helicone_lite.testing"]
    assert "helicone_lite.testing._provider" in loaded
    assert [m for m in ("anthropic", "google.genai", "pytest") if m in loaded] == []


def test_loopback_guard_refuses_the_outside(loopback_only: list[str]) -> None:
    with pytest.raises(NonLoopbackConnectionError):
        socket.create_connection(("10.255.255.1", 80), timeout=1)
    with pytest.raises(NonLoopbackConnectionError):
        socket.getaddrinfo("example.com", 443)
    assert len(loopback_only) == 2
    loopback_only.clear()  # the guard would fail this test at teardown otherwise
