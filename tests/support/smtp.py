"""A fake mail server on 127.0.0.1 that keeps what it receives: the outbox's tests read the emails from it."""

from __future__ import annotations

import socketserver


class FakeSmtp(socketserver.ThreadingTCPServer):
    """Just enough SMTP on 127.0.0.1 to receive mail: refuses recipients whose address contains 'bounce'."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(('127.0.0.1', 0), _SmtpSession)
        self.received: list[tuple[str, list[str], bytes]] = []

    @property
    def url(self) -> str:
        return f'smtp://127.0.0.1:{self.server_address[1]}'


class _SmtpSession(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        self._say('220 fake ESMTP')
        sender, recipients = '', []
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command[:4].upper()
            if verb in ('EHLO', 'HELO'):
                self._say('250 fake')
            elif verb == 'MAIL':
                sender, recipients = command.split(':', 1)[1].strip(' <>'), []
                self._say('250 OK')
            elif verb == 'RCPT':
                address = command.split(':', 1)[1].strip(' <>')
                if 'bounce' in address:
                    self._say('550 No such user here')
                else:
                    recipients.append(address)
                    self._say('250 OK')
            elif verb == 'DATA':
                self._say('354 End data with <CR><LF>.<CR><LF>')
                data = bytearray()  # not bytes +=: a reply's 18 MB of files are 300,000 lines
                while (chunk := self.rfile.readline()) not in (b'.\r\n', b''):
                    data += chunk
                self.server.received.append((sender, recipients, bytes(data)))
                self._say('250 Queued')
            elif verb == 'QUIT':
                self._say('221 Bye')
                return
            else:
                self._say('250 OK')  # RSET, NOOP

    def _say(self, line: str) -> None:
        self.wfile.write(line.encode() + b'\r\n')
