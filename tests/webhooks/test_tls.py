"""The https path of a delivery: the connection goes to the address checked while TLS names
the host (SNI) and the certificate is verified against the host name, so a receiver with a
certificate no authority signed gets nothing."""

import datetime
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from webhooks.models import Delivery
from webhooks.services import delivery_send, event_record, subscription_create

pytestmark = pytest.mark.django_db


def _self_signed(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def tls_receiver(tmp_path):
    """An https server on 127.0.0.1 with a self-signed certificate for `localhost`, recording
    the names clients ask for (SNI) and the requests that got through."""
    seen = {"sni": [], "posts": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen["posts"] += 1
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*_self_signed(tmp_path))
    context.sni_callback = lambda sock, name, ctx: seen["sni"].append(name)

    class Server(ThreadingHTTPServer):
        def get_request(self):
            sock, address = super().get_request()
            return context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), (
                address
            )

        def handle_error(self, request, client_address) -> None:
            pass  # the client refusing our certificate ends the handshake: expected

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], seen
    server.shutdown()
    server.server_close()


def test_tls_names_the_host_and_refuses_an_unsigned_certificate(member, network, tls_receiver):
    port, seen = tls_receiver
    subscription_create(
        network=network,
        url=f"https://localhost:{port}/hooks",
        events=["task.done"],
        by=member("chair"),
    )
    event_record(network_id=network.pk, type="task.done", data={})
    delivery = Delivery.objects.get()
    assert delivery_send(delivery_id=delivery.pk) == "retry"
    delivery.refresh_from_db()
    assert "CERTIFICATE_VERIFY_FAILED" in delivery.last_error
    assert seen["sni"] == ["localhost"] and seen["posts"] == 0
