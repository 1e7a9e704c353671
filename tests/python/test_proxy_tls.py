"""Proxies and corporate TLS through the Python package: ``proxy=``, the
environment's HTTP_PROXY/HTTPS_PROXY/NO_PROXY, and ``ca_bundle=``.

A small forward proxy and a TLS relay (Python's ``ssl``, with a self-signed
certificate made per run by the ``cryptography`` package) run on an asyncio
loop in a background thread. The proxy records the request that opens each
connection, then tunnels a ``CONNECT`` or forwards an absolute-form request to
the emulator. The environment is read when a client is built and is shared by
the whole process, so each environment case runs in a child Python process.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import os
import pathlib
import ssl
import subprocess
import sys
import threading
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import passfort
from passfort.testing import Emulator

PASSWORD = "pr0xy-pa55word"


class Servers:
    """An asyncio loop in a thread, serving the proxy and TLS relays started on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.seen: List[Tuple[str, Optional[str]]] = []
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self._servers: List[asyncio.AbstractServer] = []

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)

    def start_proxy(self) -> str:
        server = self._run(asyncio.start_server(self._proxy_connection, "127.0.0.1", 0))
        self._servers.append(server)
        return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"

    def start_tls_relay(self, certificate: pathlib.Path, key: pathlib.Path, upstream_port: int) -> int:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(certificate), str(key))
        context.set_alpn_protocols(["http/1.1"])

        async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream_port)
            await pump_both(reader, writer, up_reader, up_writer)

        server = self._run(asyncio.start_server(relay, "127.0.0.1", 0, ssl=context))
        self._servers.append(server)
        port: int = server.sockets[0].getsockname()[1]
        return port

    async def _proxy_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            writer.close()
            return
        request_line, *header_lines = [line for line in head.split("\r\n") if line]
        headers = [line.split(":", 1) for line in header_lines]
        authorization = next((value.strip() for name, value in headers if name.lower() == "proxy-authorization"), None)
        self.seen.append((request_line, authorization))
        method, target, version = request_line.split(" ")
        if method == "CONNECT":
            host, port = target.rsplit(":", 1)
            up_reader, up_writer = await asyncio.open_connection(host, int(port))
            writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        else:
            rest = target[len("http://") :]
            authority, _, path = rest.partition("/")
            host, port = authority.rsplit(":", 1)
            up_reader, up_writer = await asyncio.open_connection(host, int(port))
            lines = [f"{method} /{path} {version}"]
            lines += [f"{name}:{value}" for name, value in headers if not name.lower().startswith("proxy-")]
            up_writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        await pump_both(reader, writer, up_reader, up_writer)

    async def _shutdown(self) -> None:
        for server in self._servers:
            server.close()
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def close(self) -> None:
        self._run(self._shutdown())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        self.loop.close()


async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError, ssl.SSLError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def pump_both(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    up_reader: asyncio.StreamReader,
    up_writer: asyncio.StreamWriter,
) -> None:
    await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))


@pytest.fixture
def servers() -> Iterator[Servers]:
    running = Servers()
    yield running
    running.close()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, pathlib.Path]:
    """A self-signed server certificate for 127.0.0.1 and localhost: the
    certificate file is also the CA bundle that makes it trusted."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("tls")
    paths = {"cert": directory / "server.pem", "key": directory / "server-key.pem"}
    paths["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(api_key="sk_py_proxy_test") as running:
        yield running


def emulator_port(emulator: Emulator) -> int:
    return int(emulator.url.rsplit(":", 1)[1])


def test_an_explicit_proxy_carries_the_requests_and_hides_its_password(emulator: Emulator, servers: Servers) -> None:
    proxy = servers.start_proxy().replace("http://", f"http://alice:{PASSWORD}@")
    client = passfort.Client("sk_py_proxy_test", base_url=emulator.base_url, proxy=proxy, max_retries=0)
    client.whoami()
    assert servers.seen == [(f"GET {emulator.base_url}/whoami HTTP/1.1", "Basic YWxpY2U6cHIweHktcGE1NXdvcmQ=")]
    assert PASSWORD not in repr(client)

    with pytest.raises(passfort.ConfigurationError) as refused:
        passfort.Client("k", proxy=f"socks5://alice:{PASSWORD}@127.0.0.1:1080")
    assert PASSWORD not in str(refused.value) and "alice" not in str(refused.value)


def test_a_self_signed_server_is_refused_until_its_ca_bundle_is_given(
    emulator: Emulator, servers: Servers, certificate: Dict[str, pathlib.Path]
) -> None:
    port = servers.start_tls_relay(certificate["cert"], certificate["key"], emulator_port(emulator))
    base_url = f"https://127.0.0.1:{port}/4.0"

    with pytest.raises(passfort.APIConnectionError) as refused:
        passfort.Client("sk_py_proxy_test", base_url=base_url, max_retries=0).whoami()
    assert "certificate" in str(refused.value).lower(), str(refused.value)

    # A pathlib.Path or a str.
    passfort.Client("sk_py_proxy_test", base_url=base_url, ca_bundle=certificate["cert"], max_retries=0).whoami()
    passfort.Client("sk_py_proxy_test", base_url=base_url, ca_bundle=str(certificate["cert"]), max_retries=0).whoami()

    with pytest.raises(passfort.ConfigurationError, match="no-such-bundle.pem"):
        passfort.Client("k", ca_bundle=certificate["cert"].parent / "no-such-bundle.pem")
    with pytest.raises(passfort.ConfigurationError, match="server-key.pem"):
        passfort.Client("k", ca_bundle=certificate["key"])


CHILD = """
import os, passfort
client = passfort.Client(max_retries=0, ca_bundle=os.environ.get("CA_BUNDLE"), proxy=os.environ.get("EXPLICIT_PROXY"))
client.whoami()
print("CHILD-OK")
"""

PROXY_VARIABLES = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUEST_METHOD"]


def run_child(base_url: str, variables: Dict[str, str]) -> subprocess.CompletedProcess:
    env = {name: value for name, value in os.environ.items() if name.upper() not in PROXY_VARIABLES}
    env.update(PASSFORT_BASE_URL=base_url, PASSFORT_API_KEY="sk_py_proxy_test", **variables)
    return subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=60)


def test_the_environment_proxy_settings_are_honoured(
    emulator: Emulator, servers: Servers, certificate: Dict[str, pathlib.Path]
) -> None:
    proxy = servers.start_proxy()
    tls_port = servers.start_tls_relay(certificate["cert"], certificate["key"], emulator_port(emulator))
    https_url = f"https://127.0.0.1:{tls_port}/4.0"
    bundle = str(certificate["cert"])

    child = run_child(emulator.base_url, {"HTTP_PROXY": proxy})
    assert "CHILD-OK" in child.stdout, child.stderr
    assert [line for line, _ in servers.seen] == [f"GET {emulator.base_url}/whoami HTTP/1.1"]

    child = run_child(https_url, {"HTTPS_PROXY": proxy, "CA_BUNDLE": bundle})
    assert "CHILD-OK" in child.stdout, child.stderr
    assert servers.seen[-1][0] == f"CONNECT 127.0.0.1:{tls_port} HTTP/1.1"

    for base_url in (emulator.base_url, https_url):
        child = run_child(
            base_url,
            {"HTTP_PROXY": proxy, "HTTPS_PROXY": proxy, "NO_PROXY": "localhost,127.0.0.1", "CA_BUNDLE": bundle},
        )
        assert "CHILD-OK" in child.stdout, child.stderr
    assert len(servers.seen) == 2, "NO_PROXY was not honoured"

    # An explicit proxy replaces the environment's.
    child = run_child(emulator.base_url, {"HTTP_PROXY": "http://127.0.0.1:9", "EXPLICIT_PROXY": proxy})
    assert "CHILD-OK" in child.stdout, child.stderr
    assert len(servers.seen) == 3
