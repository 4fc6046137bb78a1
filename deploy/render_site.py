"""Render deploy/backoffice.nginx.conf into the nginx site file: which ports the app processes listen on, and TLS.

    python deploy/render_site.py --ports 8081,8082 --server-name support.myshop.com \
        --certificate /etc/letsencrypt/live/support.myshop.com/fullchain.pem \
        --certificate-key /etc/letsencrypt/live/support.myshop.com/privkey.pem \
        > /etc/nginx/sites-enabled/backoffice.conf
    python deploy/render_site.py --ports 8081,8082 --listen 127.0.0.1:8090     # plain HTTP (deploy/smoke.sh)
"""

from __future__ import annotations

import argparse
from pathlib import Path

TEMPLATE = Path(__file__).with_name('backoffice.nginx.conf')


def render(
    ports: list[int],
    *,
    listen: str = '',
    server_name: str = '_',
    certificate: str = '',
    certificate_key: str = '',
    redirect_from: str = '',
    max_fails: int = 3,
    fail_timeout: int = 10,
    access_log: str = '/var/log/nginx/backoffice.access.log backoffice',
) -> str:
    """The site file: HTTPS on `listen` (443) with a certificate, and a redirect from `redirect_from` (80) to it;
    without a certificate plain HTTP on `listen` (80). `access_log`: the file and the format of the access log (the
    format must log `$backoffice_logged_uri`, never `$request`: see the site file)."""
    servers = '\n'.join(
        f'    server 127.0.0.1:{port} max_fails={max_fails} fail_timeout={fail_timeout}s;' for port in ports
    )
    if certificate:
        listen_lines = '\n'.join(
            (
                f'    listen {listen or "443"} ssl http2;',  # nginx 1.22 (Debian 12); from 1.25 on: `http2 on;`
                f'    ssl_certificate {certificate};',
                f'    ssl_certificate_key {certificate_key};',
                '    ssl_protocols TLSv1.2 TLSv1.3;',
                '    ssl_session_cache shared:backoffice_tls:10m;',
                '    ssl_session_timeout 1d;',
            )
        )
        redirect = (
            f'\nserver {{\n    listen {redirect_from};\n    server_name {server_name};\n'
            '    return 301 https://$host$request_uri;\n}\n'
            if redirect_from
            else ''
        )
        secure = '; Secure'
    else:
        listen_lines = f'    listen {listen or "80"};'
        redirect, secure = '', ''
    text = TEMPLATE.read_text()
    for place, value in (
        ('@SERVERS@', servers),
        ('@LISTEN@', listen_lines),
        ('@SERVER_NAME@', server_name),
        ('@COOKIE_SECURE@', secure),
        ('@REDIRECT@', redirect),
        ('@ACCESS_LOG@', f'access_log {access_log}'),
    ):
        text = text.replace(place, value)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--ports', required=True, help='the app processes, comma-separated: 8081,8082')
    parser.add_argument('--listen', default='', help='address nginx listens on (default 443 with TLS, else 80)')
    parser.add_argument('--redirect-from', default='80', help='with TLS: plain HTTP here redirects to HTTPS ("" none)')
    parser.add_argument('--server-name', default='_')
    parser.add_argument('--certificate', default='', help='TLS certificate chain (PEM): nginx terminates HTTPS')
    parser.add_argument('--certificate-key', default='')
    parser.add_argument(
        '--access-log',
        default='/var/log/nginx/backoffice.access.log',
        help='the access log (nginx combined, its tokens redacted: format `backoffice`)',
    )
    args = parser.parse_args()
    if bool(args.certificate) != bool(args.certificate_key):
        parser.error('--certificate and --certificate-key go together')
    ports = [int(port) for port in args.ports.split(',')]
    print(
        render(
            ports,
            listen=args.listen,
            server_name=args.server_name,
            certificate=args.certificate,
            certificate_key=args.certificate_key,
            redirect_from=args.redirect_from,
            access_log=f'{args.access_log} backoffice',
        ),
        end='',
    )


if __name__ == '__main__':
    main()
