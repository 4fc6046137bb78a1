"""A real IMAP server for the support mailbox's tests: Debian's Dovecot (apt-get install dovecot-imapd), run as its own
instance from a temporary folder (its config, a passwd-file of users, maildirs, a self-signed certificate for
127.0.0.1 made here, free ports for IMAPS and IMAP+STARTTLS). Mails are placed in a user's INBOX with IMAP APPEND."""

from __future__ import annotations

import datetime
import imaplib
import ipaddress
import os
import pwd
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DOVECOT = shutil.which('dovecot') or '/usr/sbin/dovecot'
HOST = '127.0.0.1'


def dovecot_available() -> bool:
    return Path(DOVECOT).exists()


def start_dovecot() -> Dovecot:
    """A running server; without Dovecot the test skips with the reason, except under CI=true, where it fails."""
    import pytest

    if not dovecot_available():
        message = 'Dovecot is not installed (apt-get install dovecot-imapd; .ci/run installs it)'
        if os.environ.get('CI') == 'true':
            pytest.fail(message)
        pytest.skip(message)
    return Dovecot().start()


class Dovecot:
    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix='backoffice-imap-'))
        self.folder.chmod(0o755)  # Dovecot's own users (when started by root) read their config from here
        self.imaps_port, self.imap_port = _free_port(), _free_port()
        self.ca_file = self.folder / 'cert.pem'
        self.passwd = self.folder / 'passwd'
        self.process: subprocess.Popen | None = None
        # every account written before the server starts: Dovecot re-reads a changed passwd-file only when its
        # modification time (in seconds) moves, so accounts added in the same second would not sign in
        self.accounts = [
            (f'support{n}-{secrets.token_hex(3)}@shop.test', secrets.token_urlsafe(12)) for n in range(200)
        ]
        self.passwd.write_text(''.join(f'{name}:{{PLAIN}}{password}\n' for name, password in self.accounts))
        self.passwd.chmod(0o644)  # read by Dovecot's auth process, which runs as its own user

    def start(self) -> Dovecot:
        _self_signed(self.folder)
        login_user, internal_user, mail_uid, mail_gid = self._users()
        for name in ('mail', 'home'):
            (self.folder / name).mkdir()
            os.chown(self.folder / name, mail_uid, mail_gid)
        (self.folder / 'dovecot.conf').write_text(
            CONFIG.format(
                folder=self.folder,
                instance=f'backoffice-test-{self.imaps_port}',
                login_user=login_user,
                internal_user=internal_user,
                uid=mail_uid,
                gid=mail_gid,
                imap_port=self.imap_port,
                imaps_port=self.imaps_port,
            )
        )
        environment = {k: v for k, v in os.environ.items() if k != 'PYTEST_CURRENT_TEST'}
        self.process = subprocess.Popen(
            [DOVECOT, '-F', '-c', str(self.folder / 'dovecot.conf')],
            stdout=subprocess.DEVNULL,
            stderr=open(self.folder / 'stderr.log', 'wb'),  # noqa: SIM115 (kept open while the server runs)
            env=environment,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f'dovecot stopped: {self.log()}')
            try:
                self.client('nobody@x', None)  # a TLS handshake answered: the server is up
                break
            except OSError:
                time.sleep(0.1)
            except imaplib.IMAP4.error:
                break
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)

    def log(self) -> str:
        parts = [p.read_text(errors='replace') for p in (self.folder / 'dovecot.log', self.folder / 'stderr.log')]
        return '\n'.join(p for p in parts if p)[-3000:]

    def add_user(self) -> tuple[str, str]:
        """A mail account not used yet (its own empty INBOX); (user, password)."""
        return self.accounts.pop(0)

    def client(self, name: str, password: str | None) -> imaplib.IMAP4_SSL:
        client = imaplib.IMAP4_SSL(HOST, self.imaps_port, ssl_context=self.tls(), timeout=10)
        if password is not None:
            client.login(name, password)
        return client

    def tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))

    def append(self, account: tuple[str, str], raw: bytes, *, folder: str = 'INBOX', seen: bool = False) -> None:
        client = self.client(*account)
        try:
            status, answer = client.append(
                folder, '(\\Seen)' if seen else None, None, raw.replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
            )
            assert status == 'OK', answer
        finally:
            client.logout()

    def flags(self, account: tuple[str, str]) -> list[bytes]:
        client = self.client(*account)
        try:
            client.select('INBOX', readonly=True)
            _status, data = client.uid('FETCH', '1:*', '(FLAGS)')
            return [item for item in data if item]
        finally:
            client.logout()

    def _users(self) -> tuple[str, str, int, int]:
        """Dovecot refuses to log users in as root: started by root, it runs as its own users (the package makes
        dovenull and dovecot); started by anyone else, as that user."""
        if os.geteuid() == 0:
            mail = pwd.getpwnam('dovecot')
            return 'dovenull', 'dovecot', mail.pw_uid, mail.pw_gid
        me = pwd.getpwuid(os.geteuid())
        return me.pw_name, me.pw_name, me.pw_uid, me.pw_gid


CONFIG = """\
base_dir = {folder}/run
state_dir = {folder}/state
instance_name = {instance}
listen = 127.0.0.1
protocols = imap
ssl = yes
ssl_cert = <{folder}/cert.pem
ssl_key = <{folder}/key.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {internal_user}
first_valid_uid = 1
log_path = {folder}/dovecot.log
mail_location = maildir:{folder}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={folder}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _self_signed(folder: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (folder / 'cert.pem').write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file = folder / 'key.pem'
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_file.chmod(0o600)
