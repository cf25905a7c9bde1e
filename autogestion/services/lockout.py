"""The password lock customers and operators share: 5 consecutive wrong passwords lock 15 minutes.

The count is an atomic UPDATE … RETURNING in the database, so parallel wrong passwords cannot lose an
increment; the caller raises a `RefusedAttempt` afterwards, which the unit of work commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)


def is_locked(row, now: datetime) -> bool:
    """Whether an account row (User or Operator) is locked at now."""
    return row.locked_until is not None and row.locked_until > now


async def count_failure(*, session, table, row_id: int, now: datetime) -> tuple[int, bool]:
    """Count one wrong password on a User or Operator row; lock it at the 5th.

    Returns:
        (consecutive failures counted, whether the row was locked now).
    """
    failures = (
        await session.exec(
            update(table)
            .where(table.id == row_id)
            .values(failed_logins=table.failed_logins + 1)
            .returning(table.failed_logins)
            .execution_options(synchronize_session=False)
        )
    ).one()[0]
    if failures < MAX_FAILURES:
        return failures, False
    await session.exec(
        update(table)
        .where(table.id == row_id)
        .values(failed_logins=0, locked_until=now + LOCKOUT)
        .execution_options(synchronize_session=False)
    )
    return failures, True
