"""A list whose rows belong to an order (invoices, payments, refunds, returns): a row opens its order's page, where
the record is handled and its documents are (an invoice's PDF, a credit note's)."""

from nicegui import ui

from backoffice.engine.declaration import Resource
from components.resource_table import ResourceTable


def order_rows_table(resource: Resource) -> ResourceTable:
    """The resource's live list, each row opening its order (its `order_id` cell holds the order's number)."""
    table: ResourceTable

    def open_order(record_id: int) -> None:
        row = next((r for r in table.table.rows if r['id'] == record_id), None)
        if row is not None and row.get('order_id'):
            ui.navigate.to(f'/orders/{row["order_id"]}')

    table = ResourceTable(resource, on_open=open_order)
    return table
