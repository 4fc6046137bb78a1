"""Two-factor sign-in's mechanics: TOTP secrets and codes (pyotp), the enrolment QR code as SVG (segno), recovery
codes. Which users must use it, and what is stored, is services/two_factor.py's business."""

from __future__ import annotations

import io
import secrets
import time

import pyotp
import segno

ISSUER = 'Backoffice'
DRIFT_STEPS = 1  # a code of the previous or the next 30-second step is accepted too (a phone's clock drifts)
RECOVERY_CODES = 10
# the most characters a code's field takes, counted under it (components.forms.counted) and refused past it by the
# service in the same words, never cut: the app's 6 digits as an app or a person groups them ('123 456'), and at
# sign-in a recovery code too ('k7dm2-qx9tp'), however spaced
APP_CODE_MAX = 8
SIGN_IN_CODE_MAX = 20
_RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'  # no 0/o, 1/l/i: read from paper without doubt


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits


def provisioning_uri(secret: str, email: str, issuer: str = ISSUER) -> str:
    """The otpauth:// address to scan. The issuer is the shop's name, typed by an admin: the key URI format forbids a
    colon in it (it separates issuer and account in the label; 'Acme: Ltd' made apps name the account ' Ltd …'), and a
    slash went into the label's path unencoded; both become spaces."""
    plain = ' '.join(issuer.replace(':', ' ').replace('/', ' ').split()) or ISSUER
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=plain)


def qr_svg(uri: str) -> str:
    """The QR code of an otpauth:// address, as an SVG document (black on white, scannable in dark mode too)."""
    buffer = io.BytesIO()
    segno.make(uri, error='m').save(buffer, kind='svg', scale=5, border=3, xmldecl=False, light='#fff')
    return buffer.getvalue().decode()


def grouped(secret: str) -> str:
    """The key as a person types it into an app: groups of four."""
    return ' '.join(secret[i : i + 4] for i in range(0, len(secret), 4))


def matching_step(secret: str, code: str, *, after_step: int | None = None, now: float | None = None) -> int | None:
    """The time step whose code this is (within the allowed drift), or None. A step at or before `after_step` (the
    last one accepted) never matches again, so a code seen over a shoulder cannot be replayed."""
    code = ''.join(ch for ch in (code or '') if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now if now is not None else time.time())
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if after_step is not None and step <= after_step:
            continue
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def code_at(secret: str, when: float) -> str:
    """The code an authenticator app shows at this time (for tests and the command line)."""
    return pyotp.TOTP(secret).at(when)


def new_recovery_codes() -> list[str]:
    """Ten codes like 'k7dm2-qx9tp' (50 bits each)."""
    return [_recovery_code() for _ in range(RECOVERY_CODES)]


def normalized_recovery_code(text: str) -> str:
    """What a person typed, as stored: lower case, without spaces or dashes."""
    return ''.join(ch for ch in (text or '').lower() if ch.isalnum())


def looks_like_recovery_code(text: str) -> bool:
    return len(normalized_recovery_code(text)) == 10


def _recovery_code() -> str:
    letters = ''.join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f'{letters[:5]}-{letters[5:]}'
