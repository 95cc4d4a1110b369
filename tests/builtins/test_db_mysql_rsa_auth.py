"""db.connect to a MySQL account that needs the RSA password exchange.

MySQL encrypts the password with the server's RSA key when the account uses
sha256_password (or caching_sha2_password's full authentication) and the connection is
not TLS. PyMySQL does that with the `cryptography` package, which the assay executable
does not ship; the local MariaDB has neither plugin, so a small fake server speaks the
two handshake steps that lead there: MySQL's v10 greeting naming sha256_password, then,
after the client's reply, its public key.
"""
import socket
import struct
import threading

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_LONG_PASSWORD, CLIENT_CONNECT_WITH_DB, CLIENT_PROTOCOL_41 = 0x1, 0x8, 0x200
CLIENT_SECURE_CONNECTION, CLIENT_PLUGIN_AUTH = 0x8000, 0x80000


def packet(seq, payload):
    return struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload


def read_packet(conn):
    header = b""
    while len(header) < 4:
        chunk = conn.recv(4 - len(header))
        if not chunk:
            return None
        header += chunk
    length = int.from_bytes(header[:3], "little")
    body = b""
    while len(body) < length:
        body += conn.recv(length - len(body))
    return body


class Sha256PasswordServer:
    """Accepts one connection and answers as MySQL 8 does for a sha256_password account."""

    def __init__(self):
        key = rsa.generate_private_key(65537, 2048)
        self.public_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.client_reply = None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        conn, _ = self.listener.accept()
        with conn:
            caps = (CLIENT_LONG_PASSWORD | CLIENT_CONNECT_WITH_DB | CLIENT_PROTOCOL_41
                    | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH)  # no CLIENT_SSL: plain link
            salt = b"0123456789abcdefghij"
            greeting = (b"\x0a" + b"8.0.36\x00" + struct.pack("<I", 7) + salt[:8] + b"\x00"
                        + struct.pack("<HBHH", caps & 0xFFFF, 33, 2, caps >> 16)
                        + bytes([len(salt) + 1]) + bytes(10) + salt[8:] + b"\x00"
                        + b"sha256_password\x00")
            conn.sendall(packet(0, greeting))
            self.client_reply = read_packet(conn)
            conn.sendall(packet(2, b"\x01" + self.public_pem))  # AuthMoreData: the public key
            read_packet(conn)  # the client gives up and closes

    def close(self):
        self.listener.close()
        self.thread.join(5)


@pytest.fixture
def without_cryptography(monkeypatch):
    """PyMySQL as inside the executable, where `cryptography` is not bundled."""
    from pymysql import _auth
    monkeypatch.setattr(_auth, "_have_cryptography", False)


def test_rsa_password_exchange_is_a_clean_one_line_error(lua_fails, without_cryptography):
    server = Sha256PasswordServer()
    try:
        message = lua_fails('db.connect("mysql://app:secret@127.0.0.1:%d/test?ssl-mode=disabled")' % server.port)
    finally:
        server.close()
    assert b"sha256_password" in server.client_reply  # the client really reached that step
    assert message == (
        "db.connect: the server wants the password RSA-encrypted (sha256_password or "
        "caching_sha2_password without TLS), which assay does not support: connect over "
        "TLS (ssl-mode=required) or use a mysql_native_password account")
