"""System: health checks (database, schema, outbox, backups, disk), backups taken, verified, downloaded and restored
(admins only: the page and the service both check), versions."""

from __future__ import annotations

from nicegui import Client, ui

from backoffice import formatting, stored_text
from backoffice.config import get_settings
from backoffice.db import read_session, session_scope
from backoffice.formatting import when
from backoffice.i18n import N_, _, ngettext
from backoffice.models import User
from backoffice.runtime import job_titles
from backoffice.runtime.scheduler import JOBS, Job
from backoffice.services import backups, job_runs, staff_mail, system_health
from components.forms import FAILED, call, call_now, error_line, page_dialog, scroll_into_view
from components.screens import screen
from components.session import acting_user


class SystemScreen:
    def __init__(self, user: User) -> None:
        self.settings = get_settings()
        ui.label(_('Health')).classes('text-lg font-medium')
        self.checks = ui.element('div').classes('w-full grid grid-cols-1 sm:grid-cols-2 lg:grid-cols-3 gap-3')
        # the Outbox check's "Show the failed emails" scrolls here: its top kept clear of the page's header
        self.failed_mails_heading = ui.row().classes('w-full items-center justify-between')
        with self.failed_mails_heading.style('scroll-margin-top: 72px').mark('failed-mails-heading'):
            ui.label(_('Failed emails')).classes('text-lg font-medium')
            self.retry_all = ui.button(_('Retry all failed'), icon='forward_to_inbox', on_click=self.send_all_again)
            self.retry_all.props('outline').mark('retry-all-mails')
        ui.label(_(FAILED_MAILS_HELP)).classes('text-sm text-gray-600')
        self.failed_mails = ui.column().classes('w-full gap-0').mark('failed-mails')
        with ui.row().classes('w-full items-center justify-between'):
            ui.label(_('Backups')).classes('text-lg font-medium')
            self.backup_button = ui.button(_('Back up now'), icon='backup', on_click=self.back_up).mark('back-up')
        nightly = scheduled('backup').options  # type: ignore[union-attr]  (a core job, always scheduled)
        ui.label(_(BACKUPS_HELP).format(time=formatting.utc_time_of_day(nightly['hour'], nightly['minute']))).classes(
            'text-sm text-gray-600'
        )
        self.backups = ui.column().classes('w-full gap-0')
        ui.label(_('Scheduled jobs')).classes('text-lg font-medium')
        ui.label(_(JOBS_HELP)).classes('text-sm text-gray-600')
        self.jobs = ui.element('div').classes('w-full grid grid-cols-1 lg:grid-cols-2 gap-3').mark('job-runs')
        ui.label(_('About')).classes('text-lg font-medium')
        self.about = ui.column().classes('w-full gap-1')
        self.show(user)

    def show(self, user: User) -> None:
        with read_session() as session:
            found = system_health.checks(session=session, actor=user, settings=self.settings)
        self.checks.clear()
        with self.checks:
            for check in found:
                with ui.card().props('flat bordered').classes('gap-1 min-w-0').mark(f'check-{check.name}'):
                    with ui.row().classes('items-center gap-2 no-wrap'):
                        status_icon(check.status)
                        ui.label(_(check.name)).classes('font-medium')
                    ui.label(check.detail).classes('text-sm text-gray-700 break-words')
                    if check.error:  # an address, a token: no spaces to wrap at
                        ui.label(check.error).classes('text-xs text-red-700 break-all font-mono').mark('check-error')
                    if check.section == system_health.FAILED_MAILS:
                        ui.button(
                            _('Show the failed emails'), icon='arrow_downward', on_click=self.show_failed_mails
                        ).props('flat dense no-caps').classes('self-start').mark('show-failed-mails')
        with read_session() as session:
            failed, total = staff_mail.failed_mails(session=session, actor=user)
        self.failed_mails.clear()
        self.retry_all.set_visibility(total > 0)
        with self.failed_mails:
            if not failed:
                ui.label(_('No email failed to send.')).classes('text-gray-500')
            for row in failed:
                failed_mail_row(row, retry=self.send_again)
            if total > len(failed):
                ui.label(
                    _('{shown} of {total} shown, the newest first.').format(shown=len(failed), total=total)
                ).classes('text-xs text-gray-500')
        self.backups.clear()
        with self.backups:
            kept = backups.list_backups(self.settings)
            if not kept:
                ui.label(_('No backup yet.')).classes('text-gray-500')
            for backup in kept:
                backup_row(
                    backup, download=self.download, restore=self.ask_restore if backup.fits(self.settings) else None
                )
        with read_session() as session:
            histories = job_runs.overview(session=session, actor=user, jobs=[job.name for job in JOBS])
        self.jobs.clear()
        with self.jobs:
            for history in histories:
                job_card(history, run_now=self.run_now)
        self.about.clear()
        with self.about:
            facts = {**system_health.about(self.settings), _('Open pages (this process)'): str(len(Client.instances))}
            for name, value in facts.items():
                with ui.row().classes('w-full gap-2 text-sm'):
                    ui.label(_(name)).classes('w-48 text-gray-600')
                    ui.label(value).classes('break-all')

    def show_failed_mails(self) -> None:
        scroll_into_view(self.failed_mails_heading, to_top=True)

    async def back_up(self) -> None:
        user = acting_user()
        if user is None:
            return

        def take() -> backups.Backup:
            with session_scope() as session:
                return backups.take_backup(session=session, actor=user, settings=self.settings)

        self.backup_button.props('loading')
        backup = await call(take)
        self.backup_button.props(remove='loading')
        if backup is FAILED:
            self.show(user)  # one that failed its check is listed with what was wrong, and the Backups check says so
            return
        ui.notify(_('Backup written: {name}').format(name=backup.name), type='positive')
        self.show(user)

    async def send_again(self, mail_id: int) -> None:
        user = acting_user()
        if user is None:
            return

        def queue_again() -> None:
            with session_scope() as session:
                staff_mail.retry(session=session, actor=user, mail_id=mail_id)

        if await call(queue_again) is FAILED:
            return
        ui.notify(_('The email will be sent again with the next outbox run.'), type='positive')
        self.show(user)

    async def send_all_again(self) -> None:
        user = acting_user()
        if user is None:
            return

        def queue_all_again() -> int:
            with session_scope() as session:
                return staff_mail.retry_all_failed(session=session, actor=user)

        moved = await call(queue_all_again)
        if moved is FAILED:
            return
        ui.notify(
            ngettext(
                '{count} email will be sent again with the next outbox run.',
                '{count} emails will be sent again with the next outbox run.',
                moved,
            ).format(count=moved),
            type='positive',
        )
        self.show(user)

    async def run_now(self, job: str) -> None:
        user = acting_user()
        if user is None:
            return

        def ask() -> None:
            with session_scope() as session:
                job_runs.request_run(session=session, actor=user, job=job, jobs=[known.name for known in JOBS])

        if await call(ask) is not FAILED:
            ui.notify(_(RUN_ASKED).format(job=job_titles.title(job)), type='positive')
        self.show(user)  # refused too: the card then shows the run going on, or the one asked for already

    def ask_restore(self, backup: backups.Backup) -> None:
        with page_dialog() as dialog, ui.card().classes('w-full max-w-md').mark('restore-dialog'):
            ui.label(_(RESTORE_TITLE)).classes('text-lg font-medium')
            ui.label(_(RESTORE_WHICH).format(name=backup.name, taken=when(backup.taken_at))).classes(
                'text-sm break-words'
            )
            ui.label(_(RESTORE_SAFETY)).classes('text-sm')
            ui.label(_(RESTORE_SIGN_IN)).classes('text-sm').mark('restore-sign-in')
            message = error_line()
            with ui.row().classes('w-full justify-end'):
                ui.button(_('Cancel'), on_click=dialog.close).props('flat')
                confirm = ui.button(_('Restore'), icon='settings_backup_restore', color='negative').mark(
                    'confirm-restore'
                )

            async def restore() -> None:
                user = acting_user()
                if user is None:
                    return
                confirm.props('loading')
                safety = await call(
                    backups.restore_backup, actor=user, settings=self.settings, name=backup.name, message=message
                )
                confirm.props(remove='loading')
                if safety is FAILED:
                    return
                dialog.close()
                ui.notify(_(RESTORED).format(name=backup.name, safety=safety.name), type='positive', multi_line=True)
                self.show(user)

            confirm.on_click(restore)
        dialog.open()

    def download(self, name: str) -> None:
        user = acting_user()
        if user is None:
            return
        path = call_now(backups.backup_path, actor=user, settings=self.settings, name=name)
        if path is FAILED:
            return
        ui.download.file(path)


@screen(
    '/system',
    N_('System'),
    permission='system.manage',
    icon='monitor_heart',
    section=N_('Administration'),
    order=930,
    description=N_('Health, backups and versions'),
)
def system_page(user: User) -> None:
    SystemScreen(user)


BACKUPS_HELP = N_(
    'A copy of the whole database is taken every night at {time} and checked at once: it opens, it is intact, and '
    'it holds as many rows per table as the database did. The last 14 are kept in the data folder.'
)
FAILED_MAILS_HELP = N_(
    'Emails to staff and customers outside requests (sign-in links, invitations, reports) that the mail server refused '
    'or that could not be sent after 5 tries. Retry puts them back in the outbox once the cause is fixed. Failed '
    'replies to customers are retried on their requests.'
)
JOBS_HELP = N_(
    "Each job's last runs: when it started, how long it took, and the error of a run that failed. Jobs whose last run "
    'failed come first.'
)
RESTORE_TITLE = N_('Restore this backup?')
RESTORE_WHICH = N_(
    'The whole database will be replaced with {name}, taken {taken}. Changes made since then are undone.'
)
RESTORE_SAFETY = N_('A backup of the current state is taken first, so you can go back to it.')
RESTORE_SIGN_IN = N_(
    'Whoever signed in after it was taken (you, most likely) is signed out: sign in again with the accounts and '
    'passwords the backup holds.'
)
RESTORED = N_('Restored {name}. The state before was kept as {safety}.')
OTHER_KIND = N_(
    'A {kind} backup, from before the database moved: it cannot be restored here. Download it to restore it onto '
    '{kind} with the command line.'
)


def backup_row(backup: backups.Backup, *, download, restore) -> None:
    with ui.row().classes('w-full items-center gap-x-3 gap-y-0 py-2 border-b no-wrap').mark('backup'):
        if backup.verified:
            ui.icon('verified').classes('text-green-700').tooltip(_('Verified'))
        elif backup.verified is None:
            ui.icon('help_outline').classes('text-gray-500').tooltip(_('Not verified'))
        else:
            ui.icon('error').classes('text-red-700').tooltip(_('Failed its check'))
        with ui.column().classes('grow gap-0 min-w-0'):
            ui.label(when(backup.taken_at)).classes('font-medium text-sm')
            ui.label(f'{backup.name} · {formatting.size(backup.size)}').classes('font-mono text-xs break-words')
            check = ui.label(backup.check_text()).classes('text-xs break-words').mark('backup-check')
            check.classes('text-red-700' if backup.verified is False else 'text-gray-600')
            if restore is None:
                ui.label(_(OTHER_KIND).format(kind='SQLite' if backup.path.suffix == '.db' else 'PostgreSQL')).classes(
                    'text-xs text-gray-600 break-words'
                ).mark('backup-other-kind')
        fetch = ui.button(icon='download', on_click=lambda: download(backup.name)).props('flat round dense')
        fetch.props['aria-label'] = _('Download')
        fetch.tooltip(_('Download'))
        if restore is None:  # a backup of the database before a move to PostgreSQL: downloaded, restored elsewhere
            return
        back = ui.button(icon='settings_backup_restore', on_click=lambda: restore(backup)).props('flat round dense')
        back.props['aria-label'] = _('Restore')
        back.tooltip(_('Restore')).mark('restore')


def failed_mail_row(row: staff_mail.FailedMail, *, retry) -> None:
    with ui.row().classes('w-full items-center gap-x-3 gap-y-0 py-2 border-b no-wrap').mark('failed-mail'):
        ui.icon('error').classes('text-red-700')
        with ui.column().classes('grow gap-0 min-w-0'):
            # a subject may hold a word longer than a phone is wide (a link, a token): broken anywhere, words kept
            ui.label(row.subject).classes('font-medium text-sm').style('overflow-wrap: anywhere')
            ui.label(
                ngettext(
                    'To {address} · written {when} · {count} try',
                    'To {address} · written {when} · {count} tries',
                    row.attempts,
                ).format(address=row.to_address, when=when(row.created_at), count=row.attempts)
            ).classes('text-xs text-gray-600 break-all')
            if row.error:  # what the mail server said: an address, a code, no spaces to wrap at
                ui.label(row.error).classes('text-xs text-red-700 break-all font-mono')
        again = ui.button(_('Retry'), icon='send', on_click=lambda: retry(row.id)).props('flat dense no-caps')
        again.mark(f'retry-mail-{row.id}')


def job_card(history: job_runs.JobHistory, *, run_now) -> None:
    with ui.card().props('flat bordered').classes('gap-1 min-w-0').mark(f'job-{history.job}'):
        with ui.row().classes('w-full items-center gap-2 no-wrap'):
            if history.last is None:
                ui.icon('schedule').classes('text-gray-500')
            else:
                status_icon(
                    'error'
                    if history.failing
                    else 'warning'
                    if history.failures or history.interrupted or history.skipped
                    else 'ok'
                )
            with ui.column().classes('gap-0 grow min-w-0'):
                ui.label(job_titles.title(history.job)).classes('font-medium')
                ui.label(history.job).classes('font-mono text-xs text-gray-500 break-all')
                if job := scheduled(
                    history.job
                ):  # when it runs, beside when it ran ('Not run yet.' said nothing of it)
                    ui.label(job_titles.schedule(job.trigger, job.options)).classes('text-xs text-gray-600').mark(
                        f'job-schedule-{history.job}'
                    )
            if history.may_run_now:
                again = ui.button(_('Run now'), icon='play_arrow', on_click=lambda: run_now(history.job))
                again.props('flat dense no-caps').mark(f'run-now-{history.job}')
            if history.failures:
                ui.badge(
                    ngettext('{count} failed', '{count} failed', history.failures).format(count=history.failures),
                    color='negative',
                ).props('outline')
        if history.requested:
            ui.label(_(RUN_WAITING)).classes('text-sm text-gray-700').mark('run-asked')
        if history.last is None:
            ui.label(_('Not run yet.')).classes('text-sm text-gray-500')
            return
        for run in history.runs[:5]:
            with ui.row().classes('w-full gap-x-2 gap-y-0 text-xs items-baseline').mark('job-run'):
                ui.label(formatting.when(run.started_at)).classes('text-gray-700')
                ui.label(_(JOB_OUTCOMES.get(run.outcome, run.outcome))).classes(
                    'text-red-700 font-medium'
                    if run.outcome == 'failed'
                    else 'text-amber-800 font-medium'
                    if run.outcome in (job_runs.INTERRUPTED, job_runs.SKIPPED_BUSY)
                    else 'text-gray-600'
                ).mark(f'outcome-{run.outcome}')
                ui.label(formatting.elapsed(run.duration_ms)).classes('text-gray-600')
                if run.result:  # in the reader's language; a row written before shows its stored text
                    ui.label(stored_text.show(run.result, run.result_key, run.result_params)).classes(
                        'text-gray-500 break-all'
                    ).mark('job-result')
            if run.error:
                ui.label(run.error).classes('text-xs text-red-700 break-all font-mono')  # a path, an address: no spaces
            if run.outcome == job_runs.INTERRUPTED:
                ui.label(_('The process running it stopped before the end (killed, crashed or restarted).')).classes(
                    'text-xs text-amber-800'
                )
            if run.outcome == job_runs.SKIPPED_BUSY:
                ui.label(_(SKIPPED_BUSY_WHY)).classes('text-xs text-amber-800').mark('job-skipped-why')


def scheduled(name: str) -> Job | None:
    """The scheduled job of this name, read when asked (an extension's jobs join JOBS at start-up)."""
    return next((job for job in JOBS if job.name == name), None)


RUN_ASKED = N_('{job} will run within a few seconds.')
RUN_WAITING = N_('Asked to run now: the process that runs the scheduled jobs starts it within a few seconds.')
JOB_OUTCOMES = {
    job_runs.REQUESTED: N_('asked for'),
    'ok': N_('done'),
    'failed': N_('failed'),
    'running': N_('running'),
    job_runs.INTERRUPTED: N_('interrupted'),
    job_runs.SKIPPED_BUSY: N_('skipped: database busy'),
}
SKIPPED_BUSY_WHY = N_('Other writes kept the database busy through every try: it runs again at its next turn.')


def status_icon(status: str) -> ui.icon:
    if status == 'ok':
        return ui.icon('check_circle').classes('text-green-700')
    if status == 'warning':
        return ui.icon('warning').classes('text-amber-700')
    return ui.icon('error').classes('text-red-700')
