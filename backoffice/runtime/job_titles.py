"""What each scheduled job does, in words a person reads on /system and /settings (the job's machine name stays beside
it, as logs and the run history store it); a job without a title here (an extension's) shows its name."""

from __future__ import annotations

from typing import Any

from backoffice import formatting
from backoffice.i18n import N_, _, ngettext

TITLES: dict[str, str] = {
    'purge-trash': N_('Empty the trash'),
    'sla-check': N_('Check request deadlines'),
    'snooze-wake': N_('Bring back snoozed requests'),
    'send-outbox': N_('Send queued emails'),
    'payment-reminders': N_('Queue payment reminders'),
    'send-reminders': N_('Send payment reminders'),
    'purge-idempotency': N_('Forget old API retries'),
    'backup': N_('Nightly backup'),
    'kpi-refresh': N_('Refresh today’s KPIs'),
    'kpi-nightly': N_('Recompute recent KPIs'),
    'kpi-backfill': N_('Fill in KPI history'),
    'kpi-recompute': N_('Recompute KPIs'),
    'low-stock': N_('Check low stock'),
    'webhooks': N_('Deliver webhooks'),
    'sweep-exports': N_('Delete old exports'),
    'retention': N_('Anonymise old data'),
    'report-schedules': N_('Send scheduled reports'),
    'mailboxes': N_('Read support mailboxes'),
    'automations': N_('Run automations'),
    'digests': N_('Send digests'),
    'customer-reports': N_('Send reports to companies'),
    'segment-pushes': N_('Push segments to the campaign tool'),
}


def title(job: str) -> str:
    """The job's title in the current language, or its name when it has none."""
    return _(TITLES[job]) if job in TITLES else job


def schedule(trigger: str, fields: dict[str, Any]) -> str:
    """When a job runs, in words and in the shop's time zone ('Every day at 03:30 CET'), as its card on /system says:
    a job not run yet said only 'Not run yet.', never when it would."""
    if trigger == 'interval':
        if seconds := fields.get('seconds'):
            return ngettext('Every {n} second', 'Every {n} seconds', seconds).format(n=seconds)
        minutes = fields.get('minutes', 0) + 60 * fields.get('hours', 0)
        return ngettext('Every minute', 'Every {n} minutes', minutes).format(n=minutes)
    if trigger == 'cron' and 'hour' in fields:
        return _('Every day at {time}').format(time=formatting.utc_time_of_day(fields['hour'], fields.get('minute', 0)))
    if trigger == 'cron':
        minute = fields.get('minute', 0)
        return ngettext('Every hour, {n} minute past', 'Every hour, {n} minutes past', minute).format(n=minute)
    return _('Once, when the app starts')
