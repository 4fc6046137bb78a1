"""components/choice_options.py: a select rebuilds its options when they or its value change (as NiceGUI does), not
at every prop set; what the browser is sent stays the same."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from nicegui import Client, ui
from nicegui.elements.choice_element import ChoiceElement

from components.choice_options import install


@pytest.fixture
def page() -> Iterator[Client]:
    install()
    client = Client(ui.page('/choice-options-test'), request=None)
    with client:
        yield client
    client.delete()


def labels(select: ChoiceElement) -> list[str]:
    return [option['label'] for option in select.props['options']]


def test_options_follow_every_change_of_the_options_or_the_value(page: Client) -> None:
    select = ui.select({'a': 'Alpha', 'b': 'Beta'}, label='Pick', clearable=True).props('outlined dense')
    assert labels(select) == ['Alpha', 'Beta']
    select.options['c'] = 'Gamma'  # changed in place, then update(), as NiceGUI's documentation shows
    select.update()
    assert labels(select) == ['Alpha', 'Beta', 'Gamma']
    select.set_options({'x': 'Ex'}, value='x')
    assert labels(select) == ['Ex']
    assert select.props['model-value'] == {'value': 0, 'label': 'Ex'}
    select.set_options({'y': 'Why'})  # the value is no longer an option: cleared, as before
    assert select.value is None
    assert select.props['model-value'] is None


def test_a_multiple_select_shows_its_value_changed_in_place(page: Client) -> None:
    select = ui.select({1: 'One', 2: 'Two', 3: 'Three'}, multiple=True, value=[1])
    assert select.props['model-value'] == [{'value': 0, 'label': 'One'}]
    select.value.append(3)  # in place: the same list object
    select.update()
    assert select.props['model-value'] == [{'value': 0, 'label': 'One'}, {'value': 2, 'label': 'Three'}]
    select.value = [2]
    assert select.props['model-value'] == [{'value': 1, 'label': 'Two'}]


def test_prop_sets_do_not_rebuild_the_options(page: Client) -> None:
    select = ui.select({n: f'Option {n}' for n in range(20)}, label='Many', multiple=True, clearable=True)
    built = select.props['options']
    select.props('outlined dense use-chips').classes('min-w-40')
    select.props['aria-label'] = 'Many'
    assert select.props['options'] is built  # the same 20 observed dicts, not new ones at each prop set
    select.set_value([4])
    assert select.props['options'] is not built
    assert labels(select)[4] == 'Option 4'
