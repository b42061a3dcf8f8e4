"""Connections accepted on a listener bound the way ``uvicorn --workers N`` binds it (proto 0)
get TCP_NODELAY once the app is imported, as they do with a single worker."""

from __future__ import annotations

import asyncio
import socket

import app.main  # noqa: F401  (importing the app applies the fix, as in every uvicorn worker)
from tests.server import run_coroutine


def test_an_accepted_connection_has_nodelay_on_a_listener_bound_with_proto_0():
    async def accept_one() -> int:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # proto 0, as uvicorn's bind_socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert listener.proto == 0
        seen: asyncio.Future = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport):
                sock = transport.get_extra_info("socket")
                seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        _, writer = await asyncio.open_connection(*listener.getsockname())
        result = await asyncio.wait_for(seen, 5)
        writer.close()
        server.close()
        await server.wait_closed()
        return result

    assert run_coroutine(accept_one()) == 1  # a loop of its own: Playwright's may run in this thread
