"""The box's own identity: a key pair and a self-signed certificate made at first start, pinned by every
device at pairing, so a paired device can tell the real box from one that only claims its id.

The box serves its API over TLS with this certificate as well as over plain HTTP. A device pins the
certificate at pairing (the TV shows its fingerprint next to the code) and sends its token only over a
TLS connection that proves the same certificate: an impostor that merely relays a challenge to the real
box gets nowhere, because it cannot finish the handshake without the private key. See docs/security.md.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

from stb.config import atomic_write_bytes
from stb.errors import StbError

__all__ = ["BoxIdentity", "fetch_certificate", "fingerprint", "pinned_context"]

KEY_FILE = "box-key.pem"
CERT_FILE = "box-cert.pem"
HANDSHAKE_TIMEOUT_S = 5.0


def fingerprint(cert_pem: str) -> str:
    """What a person compares: the first 96 bits of the certificate's SHA-256, in six groups of four."""
    digest = hashlib.sha256(ssl.PEM_cert_to_DER_cert(cert_pem)).hexdigest().upper()
    return " ".join(digest[i : i + 4] for i in range(0, 24, 4))


def full_fingerprint(cert_pem: str) -> str:
    """SHA-256 of the certificate (hex): what a device stores and looks its token up by."""
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(cert_pem)).hexdigest()


@dataclass(frozen=True)
class BoxIdentity:
    key_path: Path
    cert_path: Path

    @property
    def cert_pem(self) -> str:
        return self.cert_path.read_text(encoding="ascii")

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.cert_pem)

    @classmethod
    def load_or_create(cls, state_dir: Path, box_id: str) -> BoxIdentity:
        """The identity in ``state_dir``, made on first start (the key 0600, each file written atomically)."""
        identity = cls(state_dir / KEY_FILE, state_dir / CERT_FILE)
        try:
            ssl.PEM_cert_to_DER_cert(identity.cert_pem)
            if identity.key_path.stat().st_size > 0:
                return identity
        except (OSError, ValueError):
            pass  # first start, or a save cut short before both files were there: make a new one
        key_pem, cert_pem = _new_identity(box_id)
        state_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(identity.key_path, key_pem)
        os.chmod(identity.key_path, 0o600)
        atomic_write_bytes(identity.cert_path, cert_pem)
        return identity


def _new_identity(box_id: str) -> tuple[bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"stb {box_id}"[:64])])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365 * 100))  # pinned, never renewed: a new one means pair again
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())  # fmt: skip
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


def pinned_context(cert_pem: str) -> ssl.SSLContext:
    """A client context that accepts exactly this certificate (no name check: boxes are reached by address)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cadata=cert_pem)
    return context


def fetch_certificate(host: str, port: int, timeout: float = HANDSHAKE_TIMEOUT_S) -> str:
    """The certificate whoever listens at host:port presents (unverified: for pairing and for finding the pin)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw, context.wrap_socket(raw) as tls:
            der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError) as exc:
        raise StbError(f"{host}:{port} does not prove which box it is (no TLS: {exc})") from None
    if not der:
        raise StbError(f"{host}:{port} presented no certificate")
    return ssl.DER_cert_to_PEM_cert(der)
