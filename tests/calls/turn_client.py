"""A TURN client just big enough to ask a TURN server for a relay (RFC 5766 Allocate over UDP,
with the long-term credential mechanism of RFC 5389), as a browser does with the iceServers it
was given."""

import hashlib
import hmac
import os
import socket
import struct
import zlib
from dataclasses import dataclass

MAGIC_COOKIE = 0x2112A442
ALLOCATE_REQUEST = 0x0003
ALLOCATE_SUCCESS = 0x0103
ALLOCATE_ERROR = 0x0113
USERNAME, MESSAGE_INTEGRITY, ERROR_CODE = 0x0006, 0x0008, 0x0009
REALM, NONCE, XOR_RELAYED_ADDRESS = 0x0014, 0x0015, 0x0016
REQUESTED_TRANSPORT, FINGERPRINT = 0x0019, 0x8028
UDP = 17


@dataclass(frozen=True)
class Answer:
    kind: int
    attributes: dict[int, bytes]

    @property
    def error(self) -> int | None:
        value = self.attributes.get(ERROR_CODE)
        return None if value is None else value[2] * 100 + value[3]

    @property
    def relayed_port(self) -> int:
        value = self.attributes[XOR_RELAYED_ADDRESS]
        return struct.unpack("!H", value[2:4])[0] ^ (MAGIC_COOKIE >> 16)


def _attribute(kind: int, value: bytes) -> bytes:
    padding = b"\0" * (-len(value) % 4)
    return struct.pack("!HH", kind, len(value)) + value + padding


def _message(kind: int, transaction: bytes, attributes: bytes) -> bytes:
    return struct.pack("!HHI", kind, len(attributes), MAGIC_COOKIE) + transaction + attributes


def _parse(data: bytes) -> Answer:
    kind, length = struct.unpack("!HH", data[:4])
    attributes, offset = {}, 20
    while offset < 20 + length:
        name, size = struct.unpack("!HH", data[offset : offset + 4])
        attributes[name] = data[offset + 4 : offset + 4 + size]
        offset += 4 + size + (-size % 4)
    return Answer(kind, attributes)


def _signed(transaction: bytes, attributes: bytes, key: bytes) -> bytes:
    """The request with MESSAGE-INTEGRITY (its length counted in the header it covers) and a
    FINGERPRINT, as RFC 5389 sections 15.4 and 15.5 say."""
    with_integrity = len(attributes) + 24
    head = struct.pack("!HHI", ALLOCATE_REQUEST, with_integrity, MAGIC_COOKIE) + transaction
    integrity = hmac.new(key, head + attributes, hashlib.sha1).digest()
    attributes += _attribute(MESSAGE_INTEGRITY, integrity)
    head = struct.pack("!HHI", ALLOCATE_REQUEST, len(attributes) + 8, MAGIC_COOKIE) + transaction
    crc = (zlib.crc32(head + attributes) ^ 0x5354554E) & 0xFFFFFFFF
    return _message(
        ALLOCATE_REQUEST, transaction, attributes + _attribute(FINGERPRINT, struct.pack("!I", crc))
    )


def allocate(host: str, port: int, username: str, password: str, timeout: float = 2) -> Answer:
    """Ask for a UDP relay with these credentials; the server's final answer."""
    transport = _attribute(REQUESTED_TRANSPORT, bytes([UDP, 0, 0, 0]))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(timeout)
        # First unauthenticated: the server answers 401 with its realm and a nonce.
        client.sendto(_message(ALLOCATE_REQUEST, os.urandom(12), transport), (host, port))
        challenge = _parse(client.recv(2048))
        if challenge.error != 401:
            return challenge
        realm, nonce = challenge.attributes[REALM], challenge.attributes[NONCE]
        key = hashlib.md5(  # noqa: S324  # the long-term credential key is MD5 by definition
            username.encode() + b":" + realm + b":" + password.encode()
        ).digest()
        attributes = (
            _attribute(USERNAME, username.encode())
            + _attribute(REALM, realm)
            + _attribute(NONCE, nonce)
            + transport
        )
        client.sendto(_signed(os.urandom(12), attributes, key), (host, port))
        return _parse(client.recv(2048))
