"""Lists on a phone are lists of cards, not squeezed tables: at 390 px each resource list shows its records as cards
(title, status chip, the declared secondary values) that open the record when tapped, and nothing is wider than the
screen; at 1440 px the same list is a table with every column in sight. Screenshots land in tests/artifacts/.

Here lists with records of this file's own (a card's values, tapping, ticking, folded filters, a full page); the first
build of every list screen on a phone (cards or the empty state, no table, no wider than the phone) is checked on the
walk of every screen, test_every_screen_with_hostile_text_in_chromium.py, which loads each list fresh at 390 px."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlmodel import col, delete

from backoffice import db
from backoffice.db import session_scope
from backoffice.models import Company, Customer
from backoffice.services import orders, purchases, returns

from ..support.browser import (
    ARTIFACTS,
    DESKTOP,
    PHONE,
    TIMEOUT,
    RunningServer,
    WebDriverWait,
    cards,
    list_counts,
    on_screen,
    page_width,
    read_whole,
    resize_and_settle,
    set_viewport,
    settle,
    signed_in,
    visible,
    visible_text,
    wait_for_path,
)
from ..support.factories import (
    advance,
    make_company,
    make_content,
    make_customer,
    make_product,
    make_user,
    pay,
    place,
    submit_request,
)

pytestmark = pytest.mark.browser

EMAIL = 'ines.duarte-lopes@example.com'  # long enough to be broken mid-word by a squeezed table
HOSTILE = 'Lid "loose": <script>window.__x=1</script>'
# (path, a text its list shows, screenshot name)
LISTS = (
    ('/returns', 'R-', 'returns'),
    ('/purchases', 'PO-CARD-1', 'purchases'),
    ('/content', 'Shipping: "fast" <script>', 'content'),
    ('/customers', EMAIL, 'customers'),
    ('/requests', 'Kettle lid "loose"', 'requests'),
    ('/orders', EMAIL, 'orders'),  # the last: its desktop view is the same page turned wide
)


@pytest.fixture(scope='module')
def shop(server: RunningServer) -> dict:
    """An order with a return, a purchase, a page, a customer and a request, made through the services."""
    db.configure(server.database_url)
    manager = make_user('manager', email='cards.manager@example.com')
    kettle = make_product('CARD-KETTLE', '59.00', stock_on_hand=10, actor=manager, name='Kettle "Classic": 1 l')
    order = place(('CARD-KETTLE', 2), email=EMAIL, shipping_name='Inês Duarte')
    pay(manager, order)
    order = advance(manager, order, 'pack', 'ship')
    with session_scope() as session:
        line = orders.order_lines(session, order.id)[0]
        returns.create_return(
            session=session,
            actor=manager,
            order_id=order.id,
            reason=HOSTILE,
            lines=[{'order_line_id': line.id, 'quantity': 1, 'reason': 'Faulty lid'}],
        )
    with session_scope() as session:
        purchases.create_purchase(
            session=session,
            actor=manager,
            supplier='Kettle Works "Ltd": <b>bold</b>',
            reference='PO-CARD-1',
            received=True,
            lines=[{'product_id': kettle.id, 'quantity': 24, 'unit_cost': '31.5'}],
        )
    make_content('shipping-cards', title='Shipping: "fast" <script>window.__x=2</script>')
    make_customer('second.customer@example.com', name='Zoë "Z": <script>window.__x=3</script>')
    request = submit_request('Kettle lid "loose": <script>window.__x=4</script>', email=EMAIL, name='Inês Duarte')
    return {'order': order, 'request': request}


def card_showing(driver: WebDriver, text: str):
    """The first card on screen that shows the text (looked for in one script a look)."""
    return WebDriverWait(driver, TIMEOUT).until(
        lambda d: d.execute_script(CARD_SHOWING, text), f'no card shows "{text}"'
    )


CARD_SHOWING = """
    return [...document.querySelectorAll('.bo-card')].find(
        card => card.checkVisibility({opacityProperty: true, visibilityProperty: true})
            && card.innerText.includes(arguments[0])
    ) || null;
"""


def on_one_line(driver: WebDriver, text: str) -> bool:
    """Whether every visible occurrence of the text is laid out on one line (not broken mid-word)."""
    return driver.execute_script(
        """
        const text = arguments[0];
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        let found = 0;
        while (walker.nextNode()) {
            const node = walker.currentNode;
            const at = node.textContent.indexOf(text);
            if (at < 0 || !node.parentElement.offsetParent) continue;
            const range = document.createRange();
            range.setStart(node, at);
            range.setEnd(node, at + text.length);
            const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
            if (tops.size > 1) return false;
            found += 1;
        }
        return found > 0;
        """,
        text,
    )


def test_each_list_is_cards_at_390_and_a_table_at_1440(driver: WebDriver, base_url: str, shop: dict) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    set_viewport(driver, *PHONE)
    signed_in(driver, base_url, LISTS[0][0])
    for path, shown, name in LISTS:
        if path != LISTS[0][0]:  # the first list is open already: signing in sent back to it
            driver.get(f'{base_url}{path}')
        card = card_showing(driver, shown)
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'cards-{name}-390.png'))
        assert not driver.find_elements(By.CSS_SELECTOR, '.resource-table table'), f'{path} shows a table on a phone'
        assert card.find_elements(By.CSS_SELECTOR, '.bo-card-title'), f'{path}: a card without a title'
        assert page_width(driver) <= PHONE[0], f'{path} is wider than a phone ({page_width(driver)} px)'
        assert driver.execute_script('return window.__x') is None, f'{path}: text from data ran as a script'
        if path == '/orders':  # the order's card shows its number, status and total, the email unbroken
            total = f'{shop["order"].total:,.2f}'
            assert shop['order'].number in card.text and 'Shipped' in card.text and total in card.text, card.text
            assert on_one_line(driver, EMAIL), 'the email is broken over lines on the order card'
        if path == '/requests':  # a request is known by its number: it leads the card's title line
            title = card.find_element(By.CSS_SELECTOR, '.bo-card-title').text
            assert title.startswith(f'#{shop["request"].number} · Kettle lid "loose"'), title

    resize_and_settle(driver, *DESKTOP)  # the orders list, open last, turned into a desktop's window
    visible_text(driver, EMAIL)
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'cards-orders-1440.png'))
    assert not cards(driver), 'a desktop shows cards instead of the table'
    headers = read_whole(
        driver, lambda d: [h.text for h in d.find_elements(By.CSS_SELECTOR, '.resource-table thead th')]
    )
    assert {'No.', 'Customer', 'Status', 'Total', 'Shipped'} <= set(headers), headers
    middle = visible(driver, '.resource-table .q-table__middle')
    assert driver.execute_script('return arguments[0].scrollWidth <= arguments[0].clientWidth', middle), (
        'a column of the orders table is cut at 1440 px'
    )
    assert on_one_line(driver, EMAIL), 'the email is broken over lines in the desktop table'

    # the customer's page, its Requests card: each request by its number too, at either width
    request = shop['request']
    driver.get(f'{base_url}/customers/{request.customer_id}')
    for width, height in (DESKTOP, PHONE):
        resize_and_settle(driver, width, height)
        subject = visible_text(driver, 'Kettle lid')
        settle(driver)
        row = subject.find_element(By.XPATH, './ancestor::div[contains(@class, "nicegui-column")][1]')
        driver.save_screenshot(str(ARTIFACTS / f'cards-customer-requests-{width}.png'))
        assert f'#{request.number}' in row.text and 'Kettle lid "loose"' in row.text, row.text


def test_tapping_a_card_opens_its_record(driver: WebDriver, base_url: str, shop: dict) -> None:
    """Tapping a customer's card opens the customer; on the orders list a card's box selects the order without opening
    it (the bulk bar still fits the phone), and tapping the card opens the order's page."""
    set_viewport(driver, *PHONE)
    signed_in(driver, base_url, '/customers')
    card_showing(driver, 'second.customer@example.com').click()
    WebDriverWait(driver, TIMEOUT).until(  # the customer's dialog, with the record's own values
        lambda d: any(
            field.get_attribute('value') == 'second.customer@example.com'
            for field in d.find_elements(By.CSS_SELECTOR, '.q-dialog input')
        ),
        'tapping the card did not open the customer',
    )
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'cards-customer-opened-390.png'))
    assert driver.execute_script('return window.__x') is None

    driver.get(f'{base_url}/orders')  # ticking a card's box selects it and opens nothing
    card_showing(driver, EMAIL).find_element(By.CSS_SELECTOR, '.q-checkbox').click()
    visible_text(driver, '1 selected')
    assert '/orders/' not in driver.current_url
    settle(driver)
    driver.save_screenshot(str(ARTIFACTS / 'cards-orders-selected-390.png'))
    assert page_width(driver) <= PHONE[0], '/orders with its bulk bar is wider than a phone'
    card_showing(driver, EMAIL).click()  # tapping the card itself opens the order
    wait_for_path(driver, f'/orders/{shop["order"].number}')


def test_a_phone_gets_its_folded_filters_after_the_rows_and_a_window_turned_wide_shows_them(
    driver: WebDriver, base_url: str, shop: dict
) -> None:
    """On a phone that said its width on an earlier page (here the same list, which signing in landed on before the
    phone had said it), the filters row (folded away there) is built once the page is connected (issue 20, first
    rows): "Filters" unfolds it, and a window turned wide shows it, without a reload."""
    set_viewport(driver, *PHONE)
    signed_in(driver, base_url, '/customers')  # a list, not the dashboard: a lighter page to say the width from
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: 'bo_width=390' in d.execute_script('return document.cookie'), 'the page says its width'
    )
    served = driver.execute_script("return fetch('/customers', {credentials: 'same-origin'}).then(r => r.text())")
    assert EMAIL in served and 'Signed up from' not in served  # the rows come with the page, the filters do not
    driver.get(f'{base_url}/customers')
    card_showing(driver, EMAIL)
    visible_text(driver, 'Filters').click()
    visible_text(driver, 'Signed up from')
    visible_text(driver, 'Filters').click()  # folded again
    set_viewport(driver, *DESKTOP)
    visible_text(driver, 'Signed up from')


# From a page's first frame until a dialog opens: each place the row (a card on a phone) of the record that shows
# arguments[0] was drawn visible at, in the page. A row shown in one place and then moved is a click gone astray.
WATCH_ROW = """
window.__boRowTops = [];
const look = () => {
    if (document.querySelector('.q-dialog')) return;
    const row = [...document.querySelectorAll('.bo-card, .resource-table tbody tr')].find(
        row => row.checkVisibility({opacityProperty: true, visibilityProperty: true})
            && row.innerText.includes(%s)
    );
    if (row) {
        const top = Math.round(row.getBoundingClientRect().top + window.scrollY);
        if (window.__boRowTops.at(-1) !== top) window.__boRowTops.push(top);
    }
    requestAnimationFrame(look);
};
requestAnimationFrame(look);
"""


def test_a_list_served_for_the_other_width_never_moves_a_row_under_the_click(
    driver: WebDriver, base_url: str, shop: dict
) -> None:
    """The width cookie is a guess (another window, a phone turned while no page was open): a list served for a phone
    to a wide window leaves its filters out, one served wide to a phone its sort, and builds them once connected. The
    rows were shown at once and then pushed down by what came: a click right away landed on another row. Now a row
    is shown only where it stays, and a click on it right away opens it."""
    set_viewport(driver, *PHONE)
    signed_in(driver, base_url, '/customers')
    watch = driver.execute_cdp_cmd('Page.addScriptToEvaluateOnNewDocument', {'source': WATCH_ROW % repr(EMAIL)})
    try:
        for (width, height), said, completed, shot in (
            (DESKTOP, PHONE[0], 'Signed up from', 'cards-wrong-guess-1440.png'),
            (PHONE, DESKTOP[0], 'Sort by', 'cards-wrong-guess-390.png'),
        ):
            driver.get('about:blank')
            set_viewport(driver, width, height)
            driver.execute_cdp_cmd(
                'Network.setCookie',
                {'name': 'bo_width', 'value': str(said), 'path': '/', 'sameSite': 'Lax', 'url': base_url},
            )
            driver.get(f'{base_url}/customers')
            row = WebDriverWait(driver, TIMEOUT).until(
                lambda d: d.execute_script(SHOWN_ROW, EMAIL), f'no row shows {EMAIL} at {width} px'
            )
            row.click()  # right away: the record shown there opens
            WebDriverWait(driver, TIMEOUT).until(
                lambda d: any(
                    field.get_attribute('value') == EMAIL
                    for field in d.find_elements(By.CSS_SELECTOR, '.q-dialog input')
                ),
                f'the click at {width} px did not open the row it was on',
            )
            visible_text(driver, completed)  # what the guess left out was built meanwhile
            tops = driver.execute_script('return window.__boRowTops')
            assert len(tops) == 1, f'at {width} px with the cookie saying {said}, the row was shown at {tops}'
            settle(driver)
            driver.save_screenshot(str(ARTIFACTS / shot))
    finally:
        driver.execute_cdp_cmd('Page.removeScriptToEvaluateOnNewDocument', {'identifier': watch['identifier']})


SHOWN_ROW = """
    return [...document.querySelectorAll('.bo-card, .resource-table tbody tr')].find(
        row => row.checkVisibility({opacityProperty: true, visibilityProperty: true})
            && row.innerText.includes(arguments[0])
    ) || null;
"""


@pytest.fixture
def a_page_more(shop: dict):
    """27 more customers, the newest first on /customers: a full page and two over. The newest has an email, a name and
    a company as long as they may be, without a space. Deleted afterwards, so that the file's other tests find their
    records on page one whatever order they run in."""
    made = [
        make_customer(f'page.fill{number:02}@example.com', name=f'Page "fill": <script>window.__x={number}</script>')
        for number in range(26)
    ]
    company = make_company(LONG_COMPANY)
    made.append(make_customer(LONG_EMAIL, name=LONG_NAME, company_id=company.id))
    yield made
    with session_scope() as session:
        session.execute(delete(Customer).where(col(Customer.id).in_([customer.id for customer in made])))
        session.execute(delete(Company).where(col(Company.id) == company.id))
        session.commit()


def test_a_full_page_shows_every_record_at_either_width_and_on_a_tall_screen(
    driver: WebDriver, base_url: str, a_page_more: list
) -> None:
    """Every record of a full page shows, on a phone, on a desktop and on a screen taller than the page (a list that
    drew its first screen first, as tried in bench/README.md's firstrows3, must still draw them all). The desktop's
    list, its window turned narrow, switches to cards without a reload (the browser switches by its width), and back to
    the table when the window is turned wide again."""
    oldest_shown = 'page.fill02@example.com'  # 25 a page, the newest first: the 25th made is the last on page one
    for width, height, shown in (
        (390, 844, cards),
        (390, 2400, cards),
        (1440, 900, table_rows),
        (1440, 3000, table_rows),
    ):
        set_viewport(driver, width, height)
        if (width, height) == (390, 844):  # the first: signing in sends back to the list
            signed_in(driver, base_url, '/customers')
        else:
            driver.get(f'{base_url}/customers')
        WebDriverWait(driver, TIMEOUT).until(
            lambda d, shown=shown: len(shown(d)) == 25, f'{width}×{height}: not every record of the page shows'
        )
        assert oldest_shown in shown(driver)[-1].text, f'{width}×{height}: {shown(driver)[-1].text}'
        assert driver.execute_script('return window.__x') is None, 'text from data ran as a script'
        if (width, height) in ((390, 844), (1440, 900)):
            a_long_name_stays_in_its_place(driver, width)
        if (width, height) == (1440, 900):  # no reload: the window turned narrow and wide again
            assert not cards(driver), 'a desktop shows cards instead of the table'
            set_viewport(driver, *PHONE)
            WebDriverWait(driver, TIMEOUT).until(
                lambda d: len(cards(d)) == 25 and not table_rows(d), 'the table stays on a window turned narrow'
            )
            set_viewport(driver, *DESKTOP)
            WebDriverWait(driver, TIMEOUT).until(
                lambda d: len(table_rows(d)) == 25 and not cards(d), 'the cards stay on a window turned wide'
            )
            pages_and_sorts(driver)


def a_long_name_stays_in_its_place(driver: WebDriver, width: int) -> None:
    """A customer whose email, name and company are long and have no space, hostile text in them: on a phone its card
    breaks them over lines, no wider than the card; on a desktop each cell ends in an ellipsis with the whole value in
    its title, and the table does not scroll sideways: its last column is in sight. Each shows as typed, as text."""
    settle(driver)
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f'lists-long-name-{width}.png'))
    if width < 600:
        card = card_showing(driver, LONG_EMAIL)
        said = driver.execute_script(CARD_FITS, card)
        assert said['texts'] == [LONG_EMAIL, LONG_NAME, LONG_COMPANY], said
        assert said['fits'], f'the long values overflow their card: {said}'
        return
    said = driver.execute_script(TABLE_FITS, [LONG_EMAIL, LONG_NAME, LONG_COMPANY])
    assert said['cells'] == [
        {'text': text, 'title': text, 'cut': True} for text in (LONG_EMAIL, LONG_NAME, LONG_COMPANY)
    ]
    assert not said['shortCut'], 'a short value beside the long ones is cut'
    assert said['middle'] <= 0, f'the table scrolls sideways by {said["middle"]} px at {width} px'
    assert said['lastColumn'], f'the last column ({said["lastName"]}) is out of sight: {said}'


LONG_EMAIL = f'long.{"e" * 59}@{"d" * 63}.{"x" * 17}.com'  # 150 characters: 64 before the @, labels of 63 at most
LONG_NAME = ('Long "name": <script>window.__x=99</script>' + 'A' * 120)[:120]  # a name's longest
LONG_COMPANY = ('Firm "co": <script>window.__x=98</script>' + 'C' * 150)[:150]
CARD_FITS = """
    const card = arguments[0], box = card.getBoundingClientRect();
    const parts = [card.querySelector('.bo-card-title'), ...card.querySelectorAll('.bo-card-value')];
    return {
        texts: parts.slice(0, 3).map(part => part.textContent),
        fits: card.scrollWidth <= card.clientWidth && box.right <= window.innerWidth
            && parts.every(part => part.getBoundingClientRect().right <= box.right),
        widths: [card.scrollWidth, card.clientWidth, box.right, ...parts.map(p => p.getBoundingClientRect().right)],
    };
"""
TABLE_FITS = """
    const cut = text => text.scrollHeight > text.clientHeight || text.scrollWidth > text.clientWidth;
    const table = document.querySelector('.resource-table'), middle = table.querySelector('.q-table__middle');
    const cells = arguments[0].map(text => [...table.querySelectorAll('tbody td')].find(td => td.textContent === text))
        .map(td => td && {text: td.textContent, title: td.title, cut: cut(td.querySelector('.bo-clip-text'))});
    const last = [...table.querySelectorAll('thead th')].pop(), box = middle.getBoundingClientRect();
    const lastBox = last.getBoundingClientRect();
    const short = [...table.querySelectorAll('tbody td .bo-clip-text')].filter(text => text.textContent === 'Active');
    return {
        cells,
        shortCut: short.length === 0 || short.some(cut),
        middle: middle.scrollWidth - middle.clientWidth,
        lastName: last.textContent,
        lastColumn: lastBox.width > 0 && lastBox.left >= box.left && lastBox.right <= box.right
            && lastBox.right <= window.innerWidth,
    };
"""


def pages_and_sorts(driver: WebDriver) -> None:
    """The table's next-page arrow shows the rest and its footer says so, and back; a column header sorts the rows
    one way, then the other (both were frozen on the first page when the table did not follow its pagination)."""
    total = footer(driver)[2]
    assert total > 25 and footer(driver) == [1, 25, total], footer(driver)
    first_page = read_whole(driver, lambda d: [row.text for row in table_rows(d)])
    # page two: the customers the worker's database holds, this file's and the other browser files' before it (the
    # reports' cohorts alone are 25), so not always the last page (it was taken for the last: '26–31 of 31')
    second = [26, min(50, total), total]
    # a click the table did not act on (once in a CI run on PostgreSQL, right after the window turned wide: the
    # footer stayed on page one for 15 s, cause not found) is clicked again, as a person would, while the footer
    # still says page one (a second click that was not needed would go on to page three when there is one)
    next_page = '.resource-table .q-table__bottom button[aria-label="Next page"]'
    for _turn in range(3):
        if footer(driver) == [1, 25, total]:
            driver.find_element(By.CSS_SELECTOR, next_page).click()
        try:
            WebDriverWait(driver, TIMEOUT / 3).until(lambda d: footer(d) == second)
            break
        except TimeoutException:
            continue
    WebDriverWait(driver, TIMEOUT).until(lambda d: footer(d) == second, 'the footer stays on page one')
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: len(table_rows(d)) == second[1] - 25 and table_rows(d)[0].text not in first_page,
        'page two shows page one',
    )
    driver.find_element(By.CSS_SELECTOR, '.resource-table .q-table__bottom button[aria-label="Previous page"]').click()
    WebDriverWait(driver, TIMEOUT).until(lambda d: footer(d) == [1, 25, total], 'the footer stays on page two')

    def emails(d: WebDriver) -> list[str]:
        return [row.text.split()[0] for row in table_rows(d)]

    header = driver.find_element(
        By.XPATH, '//div[contains(@class, "resource-table")]//thead//th[.//text()[normalize-space(.)="Email"]]'
    )
    # as paging left it once in CI: the table's head under the fixed page header, which takes a click there (a person,
    # and PatientElement, scroll it into sight first)
    driver.execute_script('window.scrollBy(0, arguments[0].getBoundingClientRect().top - 20)', header)
    header.click()
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: emails(d) == sorted(emails(d)), 'a click on Email does not sort by it'
    )
    ascending = emails(driver)
    header.click()
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: emails(d) == sorted(emails(d), reverse=True) and emails(d) != ascending,
        'a second click on Email does not reverse the order',
    )


def footer(driver: WebDriver) -> list[int]:
    """The table's footer as [first, last, total] ('26–31 of 31')."""
    return list_counts(driver, 'customer')['footer']


def table_rows(driver: WebDriver) -> list:
    return on_screen(driver, '.resource-table tbody tr')
