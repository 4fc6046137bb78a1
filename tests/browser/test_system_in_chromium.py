"""The System screen in a real browser: the backups list (verified, failed, not checked) and the restore dialog at a
phone's and a desktop's width, nothing overflowing sideways (screenshots in tests/artifacts/)."""

from __future__ import annotations

import json

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from backoffice import db
from backoffice.config import Settings
from backoffice.db import session_scope
from backoffice.models import StaffMail
from backoffice.private_files import private_folder
from backoffice.services import backups, job_runs, staff_mail

from ..support.browser import (
    ARTIFACTS,
    TIMEOUT,
    RunningServer,
    WebDriverWait,
    first_load_at,
    next_load_at,
    no_horizontal_overflow,
    settle,
    signed_in,
    visible,
    visible_text,
)
from ..support.factories import make_user

pytestmark = pytest.mark.browser


def test_the_backups_list_and_the_restore_dialog_at_390_and_1440(driver: WebDriver, server: RunningServer) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)
    settings = Settings(database_url=server.database_url, data_dir=server.log.parent / 'data')
    admin = make_user('admin', email='system.admin@example.com')
    with session_scope() as session:
        taken = backups.take_backup(session=session, actor=admin, settings=settings)
    suffix = 'db' if settings.is_sqlite else 'dump'
    damaged = private_folder(backups.folder(settings)) / f'backoffice-20260101-020000.{suffix}'
    damaged.write_bytes(b'half a backup: the disk filled up')
    verified, check = backups.compare(damaged, {'users': 1})
    damaged.with_name(damaged.name + '.check.json').write_text(
        json.dumps({'verified': verified, 'check': check.english, 'said': check.as_json()})
    )
    (backups.folder(settings) / f'backoffice-20251231-020000.{suffix}').write_bytes(b'older')

    first_load_at(driver, server.url, 390, 844)  # signing in loads the page on a phone: one load less (issue 12)
    signed_in(driver, server.url, '/system')
    visible_text(
        driver,
        taken.name,
    )
    for width, height in ((390, 844), (1440, 900)):
        if width != 390:  # the phone's load was signing in's; the desktop's own load
            next_load_at(driver, width, height)
            driver.get(f'{server.url}/system')
        visible_text(driver, 'Not verified: taken before backups were checked when taken.')
        backups_list = driver.find_elements(By.XPATH, '//*[normalize-space(.)="Backups"]')[-1]
        driver.execute_script('arguments[0].scrollIntoView()', backups_list)
        settle(driver)
        assert no_horizontal_overflow(driver)
        driver.save_screenshot(str(ARTIFACTS / f'system-backups-{width}.png'))
        visible(driver, '[aria-label="Restore"]').click()
        visible_text(driver, 'A backup of the current state is taken first, so you can go back to it.')
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'system-restore-dialog-{width}.png'))
        visible_text(driver, 'Cancel').click()


def test_a_failed_jobs_and_the_mail_servers_long_errors_stay_inside_the_page_at_390_and_1440(
    driver: WebDriver, server: RunningServer
) -> None:
    """An error without spaces (a file's path, an address, a token) pushed the whole page sideways at both widths."""
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)
    make_user('admin', email='system.jobs@example.com')
    with session_scope() as session:
        waiting = staff_mail.queue_to(session, address='cora@example.com', subject='Your sign-in link', body='…')
        waiting.error = '554 5.7.1 <' + 'Zx81kQ0pL3vR' * 15 + '@relay.example.com>: Relay access denied'
        session.commit()

    def fails() -> None:
        raise OSError('The chat channel refused https://hooks.example.com/services/T0/B0/' + 'Zx81kQ0pL3vR' * 20)

    with pytest.raises(OSError):
        job_runs.record('digests', fails)
    first_load_at(driver, server.url, 390, 844)  # signing in loads the page on a phone: one load less (issue 12)
    signed_in(driver, server.url, '/system')
    for width, height in ((390, 844), (1440, 900)):
        if width != 390:  # the phone's load was signing in's; the desktop's own load
            next_load_at(driver, width, height)
            driver.get(f'{server.url}/system')
        visible_text(driver, '@relay.example.com>: Relay access denied')
        error = visible_text(driver, 'OSError: The chat channel refused https://hooks.example.com/')
        driver.execute_script('arguments[0].scrollIntoView({block: "center"})', error)
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'system-job-error-{width}.png'))
        assert no_horizontal_overflow(driver), f'the page is wider than the screen at {width} px'


SUBJECT = 'Your sign-in link "now": <img src=x onerror="window.__x=1"> ' + 'Zq' * 40
MAIL_ERROR = '550 5.1.1 <' + 'Zx81kQ0pL3vR' * 12 + '@relay.example.com>: "no such user" <script>window.__x=3</script>'
JOB_ERROR = '<script>window.__x=2</script> report server said "no": <b>bold</b>'
ADDRESS = 'o.hara+' + 'q' * 50 + '@a-very-long-domain-name.example.com'


def test_a_failed_email_is_retried_and_a_failed_job_run_now_at_390_and_1440(
    driver: WebDriver, server: RunningServer
) -> None:
    """The failed emails, each with Retry, and "Run now" on a job whose last run failed: inside the page at both
    widths; a click puts the mail back in the queue, and asks for the job's run."""
    ARTIFACTS.mkdir(exist_ok=True)
    db.configure(server.database_url)
    make_user('admin', email='system.retry@example.com')
    with session_scope() as session:
        failed = staff_mail.queue_to(session, address=ADDRESS, subject=SUBJECT, body='…')
        failed.status, failed.attempts = 'failed', 5
        failed.error = MAIL_ERROR
        session.commit()
        failed_id = failed.id

    def fails() -> None:
        raise OSError(JOB_ERROR)

    with pytest.raises(OSError):
        job_runs.record('customer-reports', fails)
    first_load_at(driver, server.url, 390, 844)  # signing in loads the page on a phone: one load less (issue 12)
    signed_in(driver, server.url, '/system')
    for width, height in ((390, 844), (1440, 900)):
        if width != 390:  # the phone's load was signing in's; the desktop's own load
            next_load_at(driver, width, height)
            driver.get(f'{server.url}/system')
        # the Outbox check counts the failed emails (this file's and others') and leads to their list
        show = visible_text(driver, 'Show the failed emails')
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'system-health-{width}.png'))
        assert no_horizontal_overflow(driver), f'the health checks are wider than the screen at {width} px'
        show.click()
        heading = visible(driver, '.q-page').find_element(By.XPATH, './/*[normalize-space(text())="Failed emails"]')
        WebDriverWait(driver, TIMEOUT).until(
            lambda d, heading=heading: (
                0 <= d.execute_script('return arguments[0].getBoundingClientRect().top', heading) < 150
            ),
            'the failed emails are not brought to the top of the screen',
        )
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'system-health-shows-failed-emails-{width}.png'))
        # what the mail server and the job said, quotes, colons and markup as they were: text, never markup
        assert visible_text(driver, 'window.__x=3').text == MAIL_ERROR
        assert visible_text(driver, 'report server said').text == f'OSError: {JOB_ERROR}'
        row = visible_text(driver, 'Zq' * 40)
        driver.execute_script('arguments[0].scrollIntoView({block: "center"})', row)
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'system-failed-emails-{width}.png'))
        assert no_horizontal_overflow(driver), f'the failed emails are wider than the screen at {width} px'
        card = visible_text(driver, 'customer-reports').find_element(
            By.XPATH, './ancestor::div[contains(@class, "q-card")]'
        )
        driver.execute_script('arguments[0].scrollIntoView({block: "center"})', card)
        settle(driver)
        driver.save_screenshot(str(ARTIFACTS / f'system-run-now-{width}.png'))
        assert no_horizontal_overflow(driver), f'the job card is wider than the screen at {width} px'
        assert driver.execute_script('return window.__x') is None

    mail_row = row.find_element(
        By.XPATH, './ancestor::div[contains(@class, "q-item") or contains(@class, "border-b")][1]'
    )
    retry = mail_row.find_element(By.XPATH, './/button[contains(., "Retry")]')
    driver.execute_script('arguments[0].scrollIntoView({block: "center"})', retry)  # not under the header
    retry.click()
    visible_text(driver, 'The email will be sent again with the next outbox run.')
    with session_scope() as session:
        assert session.get(StaffMail, failed_id).status == 'queued'
    card = visible_text(driver, 'customer-reports').find_element(
        By.XPATH, './ancestor::div[contains(@class, "q-card")]'
    )
    run_now = card.find_element(By.XPATH, './/button[contains(., "Run now")]')
    driver.execute_script('arguments[0].scrollIntoView({block: "center"})', run_now)
    run_now.click()
    visible_text(driver, 'will run within a few seconds.')
    assert visible_text(driver, 'report server said').text == f'OSError: {JOB_ERROR}'  # the card drawn again
    assert driver.execute_script('return window.__x') is None
