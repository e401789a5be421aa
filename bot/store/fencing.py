"""Fencing tokens checked by the store, so an expired lock holder can never commit.

A lock alone cannot stop a holder that stalled past its lock's lifetime (a long pause, a
frozen VM): it wakes up believing it still holds the lock. So every hold of a customer's
Redis lock carries a fence, larger than every earlier one (`bot.locks`), and the store
keeps the newest fence per customer:

- `claim` — the new holder writes its fence before it reads anything, in a transaction of
  its own. From then on no older holder can commit for this customer. If a stalled older
  holder is committing right now, its row lock makes the claim wait for that commit, and
  the new holder then reads what it committed.
- `still_holds` — inside the turn's transaction, right before the commit: the stored fence
  must still be this holder's. The UPDATE also locks the customer's row until the commit,
  so a claim cannot slip in between the check and the commit.

In-process locks have no fence (one process: nobody else can hold them); both are no-ops.
"""

from __future__ import annotations

import contextlib
import logging

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.locks import Hold
from bot.store.models import Customer

log = logging.getLogger(__name__)


class FencedOut(Exception):
    """A newer holder has claimed this customer: this turn must not commit."""


async def claim(session: AsyncSession, hold: Hold | None) -> None:
    """Record the hold's fence as the customer's newest, and commit. FencedOut if a newer
    holder already claimed (this hold expired before it even started)."""
    if hold is None or hold.fence is None:
        return
    customer_id, fence = hold.customer_id, hold.fence
    result = await session.execute(
        update(Customer)
        .where(
            Customer.id == customer_id,
            or_(Customer.lock_fence.is_(None), Customer.lock_fence < fence),
        )
        .values(lock_fence=fence)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    if result.rowcount == 0 and await _exists(session, customer_id):  # type: ignore[attr-defined]
        _refused(customer_id, fence, "claim")


async def still_holds(session: AsyncSession, hold: Hold | None) -> None:
    """Inside the turn's transaction: FencedOut unless the hold's fence is still the newest
    of the customer it locks (the one locked, even if the turn joined it to another)."""
    if hold is None or hold.fence is None:
        return
    customer_id, fence = hold.customer_id, hold.fence
    # Before anything the turn wrote is flushed: a stale holder's writes may clash with the
    # newer holder's (the same new rows) and must not get as far as the database.
    with session.no_autoflush:
        result = await session.execute(
            update(Customer)
            .where(Customer.id == customer_id, Customer.lock_fence == fence)
            .values(lock_fence=fence)
            .execution_options(synchronize_session=False)
        )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        _refused(customer_id, fence, "commit")


async def superseded(session: AsyncSession, hold: Hold | None) -> bool:
    """After a failed turn: whether a newer holder has taken over meanwhile (the failure is
    then this holder's staleness, e.g. its writes clashing with the newer turn's, and the
    message is the newer holder's to answer). Counted and logged like a refused commit."""
    if hold is None or hold.fence is None:
        return False
    newest = select(Customer.lock_fence).where(Customer.id == hold.customer_id)
    stored = await session.scalar(newest)
    if stored is None or stored <= hold.fence:
        return False
    with contextlib.suppress(FencedOut):
        _refused(hold.customer_id, hold.fence, "turn")
    return True


async def _exists(session: AsyncSession, customer_id: int) -> bool:
    return await session.get(Customer, customer_id) is not None


def _refused(customer_id: int, fence: int, step: str) -> None:
    metrics.FENCED_COMMITS.inc()
    log.warning(
        "customer %s: a newer lock holder took over; this turn's %s is refused (fence %s)",
        customer_id,
        step,
        fence,
    )
    raise FencedOut(customer_id)
