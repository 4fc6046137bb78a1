"""Every scheduled job has a title in words for /system and /settings (its machine name stays beside it)."""

from __future__ import annotations

from backoffice import i18n
from backoffice.runtime import job_titles
from backoffice.runtime.scheduler import JOBS


def test_every_job_has_a_title_in_english_and_french() -> None:
    assert [job.name for job in JOBS if job.name not in job_titles.TITLES] == []
    with i18n.use('fr'):
        assert job_titles.title('backup') == 'Sauvegarde nocturne'
    assert job_titles.title('an-extension-job') == 'an-extension-job'
