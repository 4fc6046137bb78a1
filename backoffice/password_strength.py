"""Whether a new password is strong enough: a length, the 30,000 most common passwords (with their usual disguises)
and zxcvbn's estimate of how many guesses it would take, as NIST SP 800-63B advises."""

from __future__ import annotations

import re
from functools import cache

from backoffice import formatting
from backoffice.i18n import N_, _

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
TOO_COMMON = N_('Too common: this is on the list of the most used passwords, even with small changes')
# zxcvbn's feedback, in English: every warning and suggestion it can give, for the catalog (shown through `_`)
ZXCVBN_FEEDBACK = (
    N_('Add another word or two. Uncommon words are better.'),
    N_("Capitalization doesn't help very much."),
    N_("Reversed words aren't much harder to guess."),
    N_("Predictable substitutions like '@' instead of 'a' don't help very much."),
    N_('Use a few words, avoid common phrases.'),
    N_('No need for symbols, digits, or uppercase letters.'),
    N_('Straight rows of keys are easy to guess.'),
    N_('Short keyboard patterns are easy to guess.'),
    N_('This is a top-10 common password.'),
    N_('This is similar to a commonly used password.'),
    N_('A word by itself is easy to guess.'),
    N_('All-uppercase is almost as easy to guess as all-lowercase.'),
    N_('Use a longer keyboard pattern with more turns.'),
    N_('Repeats like "aaa" are easy to guess.'),
    N_('Repeats like "abcabcabc" are only slightly harder to guess than "abc".'),
    N_('This is a top-100 common password.'),
    N_('This is a very common password.'),
    N_('Names and surnames by themselves are easy to guess.'),
    N_('Common names and surnames are easy to guess.'),
    N_('Avoid repeated words and characters.'),
    N_('Sequences like "abc" or "6543" are easy to guess.'),
    N_('Avoid sequences.'),
    N_('Recent years are easy to guess.'),
    N_('Dates are often easy to guess.'),
    N_('Avoid recent years.'),
    N_('Avoid years that are associated with you.'),
    N_('Avoid dates and years that are associated with you.'),
)


def password_problem(password: str, *, email: str = '', name: str = '') -> str | None:
    """Why a password is too weak, in a sentence to show at the field, or None when it will do."""
    password = password or ''
    if len(password) < MIN_LENGTH:
        return _('Use at least {n} characters').format(n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _('Use at most {n} characters').format(n=formatting.number(MAX_LENGTH))
    if _is_common(password):
        return _(TOO_COMMON)
    lowered = password.lower()
    # Parts shorter than four letters ('Jo', 'al@...') would rule out every password that merely contains them.
    local_part, compact_name = email.split('@')[0].lower(), name.lower().replace(' ', '')
    if (len(local_part) >= 4 and local_part in lowered) or (len(compact_name) >= 4 and compact_name in lowered):
        return _('Do not use your email or name in the password')
    from zxcvbn import zxcvbn  # loads its word lists (a few MB) on the first password checked, not at start-up

    estimate = zxcvbn(password[:_ESTIMATED_CHARACTERS], user_inputs=[email, local_part, name, 'backoffice'])
    if estimate['score'] < MIN_SCORE:
        warning = estimate['feedback'].get('warning') or ''
        hints = [_(text) for text in estimate['feedback'].get('suggestions') or []]
        advice = ' '.join(([_(warning)] if warning else []) + (hints or [_('Add another word or two.')]))
        return _('Too easy to guess. {advice}').format(advice=advice).strip()
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
