"""An order's timeline in the customer's words for the portal: each step said as a customer would read it ("Order
placed", never "Placed (api)"), nothing of the shop's inside (reminders queued, draft edits, payments undone)."""

from __future__ import annotations

from backoffice.i18n import N_
from backoffice.models import OrderEvent
from backoffice.services.orders import TO_REFUND
from backoffice.stored_text import sentence, show

# a timeline entry's kind → what the customer reads; a kind not here is the shop's own business and not shown.
# {number} is the return's or the invoice's number, as the entry stored it.
CUSTOMER_WORDS = {
    'created': N_('Order placed'),
    'confirmed': N_('Order confirmed: waiting for payment'),
    'payment': N_('Part of the payment received'),
    'paid': N_('Payment received'),
    'invoiced': N_('Invoice {number} issued'),
    'packed': N_('Packed'),
    'parcel-shipped': N_('A parcel was shipped; the rest follows'),
    'shipped': N_('Shipped'),
    'parcel-delivered': N_('A parcel was delivered'),
    'delivered': N_('Delivered'),
    'cancelled': N_('Order cancelled'),
    'refunded': N_('Refunded'),
    'return-requested': N_('Return {number} requested'),
    'return-received': N_('Return {number} received'),
    'return-resolved': N_('Return {number} settled'),
    'return-cancelled': N_('Return {number} cancelled'),
}


# "Cancel what is not shipped" ships the order with what its parcels took: its entry is a 'shipped' one whose words
# (the shop's: "Shipped; not shipped, cancelled: …") start so; the customer reads that the rest will not come
REST_CANCELLED = 'Shipped; not shipped, cancelled'
SHIPPED_REST_CANCELLED = N_('Shipped; what was not shipped yet is cancelled and will not come')

# a paid order's cancellation (the shop's: "Cancelled — €20.00 paid, to refund"): the customer reads what they paid is
# to be refunded, and once refunds made since gave it back (`orders.refunded_since`), that it was, as the shop does
CANCELLED_TO_REFUND = N_('Order cancelled: {owed} paid, to be refunded')
CANCELLED_REFUNDED = N_('Order cancelled: {owed} paid, refunded since')


def customer_words(event: OrderEvent, *, refunded: bool = False) -> str:
    """The entry as the customer reads it (in the current language), or '' when it is not for them. `refunded`: what it
    left to refund was refunded since (`orders.refunded_since`)."""
    owed = (event.text_params or {}).get('owed')
    if event.kind == 'cancelled' and TO_REFUND.get(event.text_key or '', ('',))[0] == 'owed' and owed is not None:
        told = show('', CANCELLED_REFUNDED if refunded else CANCELLED_TO_REFUND, {'owed': owed})
        return told or sentence(CUSTOMER_WORDS['cancelled']).shown()  # a broken row: never the shop's own words
    said = CUSTOMER_WORDS.get(event.kind)
    if event.kind == 'shipped' and (event.text_key or '').startswith(REST_CANCELLED):
        said = SHIPPED_REST_CANCELLED
    if said is None:
        return ''
    if '{number}' in said:
        number = (event.text_params or {}).get('number')
        if not isinstance(number, str | int) or isinstance(number, bool):
            return ''
        return sentence(said, number=str(number)).shown()
    return sentence(said).shown()
