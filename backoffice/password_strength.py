"""Whether a new password is strong enough: a length, the 30,000 most common passwords (with their usual disguises)
and zxcvbn's estimate of how many guesses it would take, as NIST SP 800-63B advises."""

from __future__ import annotations

import re
from functools import cache

MIN_LENGTH = 10
MAX_LENGTH = 200
MIN_SCORE = 3  # zxcvbn: 3 = "safely unguessable" (10^8 guesses and more), 4 = very strong
_ESTIMATED_CHARACTERS = 72  # zxcvbn refuses longer input (and slows down on it): the start is what gets estimated

_UNLEET = str.maketrans(
    {
        '@': 'a',
        '4': 'a',
        '8': 'b',
        '(': 'c',
        '3': 'e',
        '6': 'g',
        '9': 'g',
        '1': 'i',
        '!': 'i',
        '|': 'i',
        '0': 'o',
        '$': 's',
        '5': 's',
        '7': 't',
        '+': 't',
        '2': 'z',
        '%': 'x',
    }
)
_EDGES = re.compile(r'^[\W\d_]+|[\W\d_]+$')  # digits and symbols tacked on before or after a word
TOO_COMMON = 'Too common: this is on the list of the most used passwords, even with small changes'


def password_problem(password: str, *, email: str = '', name: str = '') -> str | None:
    """Why a password is too weak, in a sentence to show at the field, or None when it will do."""
    password = password or ''
    if len(password) < MIN_LENGTH:
        return f'Use at least {MIN_LENGTH} characters'
    if len(password) > MAX_LENGTH:
        return f'Use at most {MAX_LENGTH} characters'
    if _is_common(password):
        return TOO_COMMON
    lowered = password.lower()
    # Parts shorter than four letters ('Jo', 'al@...') would rule out every password that merely contains them.
    local_part, compact_name = email.split('@')[0].lower(), name.lower().replace(' ', '')
    if (len(local_part) >= 4 and local_part in lowered) or (len(compact_name) >= 4 and compact_name in lowered):
        return 'Do not use your email or name in the password'
    from zxcvbn import zxcvbn  # loads its word lists (a few MB) on the first password checked, not at start-up

    estimate = zxcvbn(password[:_ESTIMATED_CHARACTERS], user_inputs=[email, local_part, name, 'backoffice'])
    if estimate['score'] < MIN_SCORE:
        warning = estimate['feedback'].get('warning') or ''
        hint = ' '.join(estimate['feedback'].get('suggestions') or []) or 'Add another word or two.'
        return f'Too easy to guess. {warning + " " if warning else ""}{hint}'.strip()
    return None


def _is_common(password: str) -> bool:
    """In the common list as it is, lower-cased, without the digits and symbols around it, with its leet undone, or
    one common word repeated."""
    lowered = password.lower()
    candidates = {lowered, lowered.translate(_UNLEET), lowered.replace(' ', '')}
    candidates |= {_EDGES.sub('', word) for word in candidates}
    candidates |= {word.translate(_UNLEET) for word in candidates}
    for text in (lowered, lowered.translate(_UNLEET)):  # 'dragon-dragon1' is 'dragon' said twice
        if len(words := set(re.findall(r'[a-z]+', text))) == 1:
            candidates |= words
    common = _common_passwords()
    return any(word in common for word in candidates if len(word) >= 4) or len(set(lowered)) < 4


@cache
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS['passwords']) | {'backoffice', 'administrator', 'changeme', 'azertyuiop'}
