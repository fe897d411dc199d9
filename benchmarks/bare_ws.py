"""The bare WebSocket baseline of W1 and W3: the `websockets` package alone, one process.

`python -m benchmarks.bare_ws <port>`. A text frame whose JSON "type" is "broadcast" goes with
`websockets.broadcast()` to the first "n" open connections (all without "n") (W3); any other
frame is echoed back to its sender (W1). No parsing beyond that, no database, no channel layer.
"""

from __future__ import annotations

import asyncio
import json
import sys

from websockets.asyncio.server import ServerConnection, broadcast, serve


async def main(port: int) -> None:
    connections: dict[ServerConnection, None] = {}  # in the order they opened

    async def handler(websocket: ServerConnection) -> None:
        connections[websocket] = None
        try:
            async for frame in websocket:
                if '"broadcast"' in frame:
                    request = json.loads(frame)
                    if request.get("type") == "broadcast":
                        members = list(connections)[: request.get("n", len(connections))]
                        broadcast(members, frame)
                        continue
                await websocket.send(frame)
        finally:
            connections.pop(websocket, None)

    async with serve(handler, "127.0.0.1", port, max_size=2**20) as server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
