"""The ASGI workers: gunicorn's uvicorn worker with the WebSocket settings the live chat wants.

`gunicorn vetchat.asgi --worker-class vetchat.workers.UvicornWorker` (`make run`, the README's
deployment, `bench/live.py`); the tests' uvicorn servers pass the same `WEBSOCKET_OPTIONS`.
"""

from typing import Any

from uvicorn_worker import UvicornWorker as BaseUvicornWorker

WEBSOCKET_OPTIONS: dict[str, Any] = {
    # uvicorn's own protocol, keeping less for each idle socket (see the module).
    "ws": "vetchat.websocket_protocol:LeanWebSocketProtocol",
    # permessage-deflate keeps a zlib compressor and decompressor for each socket for its whole
    # life: about 38 KB of an idle socket's 92, measured with 3,000 idle sockets, to compress
    # events of a few hundred bytes of JSON.
    "ws_per_message_deflate": False,
    # The page sends `typing` and `ping` frames of a few bytes and a call's signals of at most
    # 16 KB (`calls.signalling`); uvicorn's default of 16 MiB would let one socket make its
    # worker hold 16 MiB.
    "ws_max_size": 64 * 1024,
}


class UvicornWorker(BaseUvicornWorker):
    CONFIG_KWARGS = {**BaseUvicornWorker.CONFIG_KWARGS, **WEBSOCKET_OPTIONS}
