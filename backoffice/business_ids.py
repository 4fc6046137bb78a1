"""A business's numbers checked by their published formats (python-stdnum): EU VAT numbers, IBAN, BIC, and the
countries a seller or buyer may be in (ISO 3166 codes, named in the reader's language)."""

from __future__ import annotations

from babel import Locale
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.eu import vat as stdnum_vat
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidLength, ValidationError

from backoffice import i18n
from backoffice.i18n import _

# the EU member states (VAT numbers use EL for Greece) and the neighbours a small shop most often sells to
COUNTRIES = (
    'AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK CH GB NO IS LI MC US CA'
).split()


def countries() -> dict[str, str]:
    """Country code → its name in the reader's language, by name."""
    names = Locale.parse(i18n.current()).territories
    return dict(sorted(((code, names.get(code, code)) for code in COUNTRIES), key=lambda item: item[1]))


def vat_number(text: str) -> str:
    """An EU VAT number, compact (FR40303265045), or ValueError saying what is wrong with it."""
    try:
        compact = stdnum_vat.compact(text) if text else ''
    except ValidationError:
        compact = ''
    prefix = compact[:2].lower()
    if len(compact) < 4 or not compact[:2].isalpha() or (prefix not in stdnum_vat.MEMBER_STATES and prefix != 'el'):
        raise ValueError(_('Start the VAT number with its EU country code, e.g. FR40303265045 or DE136695976'))
    try:
        return stdnum_vat.validate(compact)
    except InvalidChecksum:
        raise ValueError(_('This VAT number has a wrong check digit: check it against your VAT registration')) from None
    except InvalidLength:
        raise ValueError(_('This VAT number has too many or too few characters for its country')) from None
    except (InvalidComponent, ValidationError):
        raise ValueError(_('This is not a VAT number of {country}').format(country=compact[:2].upper())) from None


def iban(text: str) -> str:
    """An IBAN, compact (FR7630006000011234567890189), or ValueError."""
    try:
        return stdnum_iban.validate(text)
    except InvalidChecksum:
        raise ValueError(_('This IBAN has a wrong check digit: check it against your bank details')) from None
    except ValidationError:
        raise ValueError(_('Enter an IBAN, e.g. FR76 3000 6000 0112 3456 7890 189')) from None


def bic(text: str) -> str:
    """A BIC (SWIFT code) of 8 or 11 characters, or ValueError."""
    try:
        return stdnum_bic.validate(text)
    except ValidationError:
        raise ValueError(_('Enter a BIC of 8 or 11 letters and digits, e.g. BNPAFRPP')) from None


def spaced_iban(compact: str) -> str:
    """An IBAN as people read it, in groups of four."""
    return stdnum_iban.format(compact) if compact else ''
