"""A small real SMTP server (asyncio, its own thread) that cuts chosen messages in the middle of DATA.

It speaks just enough SMTP (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT). For a message whose
number is in ``cut``, it reads part of the body and closes the connection before the final dot,
as a server under load or a middlebox does; every other message is accepted with 250 after the
dot. ``cut_done[n]`` is set after message n was cut, so a test can hold the client at the final dot until
the cut really happened (the cut is then certain to come before the dot).
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
from dataclasses import dataclass, field


@dataclass
class CuttingServer:
    cut: set[int]
    port: int = 0
    accepted: list[bytes] = field(default_factory=list)
    data_started: int = 0
    #: DATA number -> set once that message was cut
    cut_done: dict[int, threading.Event] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.cut_done = {n: threading.Event() for n in self.cut}

    def start(self) -> CuttingServer:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            server = self._loop.run_until_complete(asyncio.start_server(self._session, "127.0.0.1", 0))
            self.port = server.sockets[0].getsockname()[1]
            self._server = server
            ready.set()
            self._loop.run_forever()
            server.close()
            self._loop.run_until_complete(server.wait_closed())

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        ready.wait(5)
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def reply(line: str) -> None:
            writer.write(line.encode() + b"\r\n")
            await writer.drain()

        try:
            await reply("220 cutting-server ready")
            while line := await reader.readline():
                verb = line.decode("ascii", "replace").strip().upper()
                if verb.startswith(("EHLO", "HELO")):
                    await reply("250-cutting-server\r\n250 8BITMIME")
                elif verb.startswith("QUIT"):
                    await reply("221 bye")
                    break
                elif verb.startswith("DATA"):
                    self.data_started += 1
                    number = self.data_started
                    await reply("354 go ahead")
                    if number in self.cut:
                        await reader.readline()  # a first line of the body, then hang up
                        sock = writer.get_extra_info("socket")
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                        writer.transport.abort()  # the socket closes on the next loop turns
                        await asyncio.sleep(0.02)
                        self.cut_done[number].set()
                        return
                    body = bytearray()
                    while (chunk := await reader.readline()) not in (b".\r\n", b""):
                        body += chunk
                    self.accepted.append(bytes(body))
                    await reply("250 2.0.0 accepted")
                else:  # MAIL, RCPT, RSET, NOOP
                    await reply("250 OK")
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
