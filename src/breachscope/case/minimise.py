"""Store the minimum: after ``scope``, drop the raw values no notice to a notifiable person needs.

Before scope the case cannot know who will be notified, so ``case attach`` keeps each leaked
person's email and coarse location (never the display name: no stage reads it; notices greet
people by their directory name). Once scope has matched people to accounts:

- **notifiable** people (a non-ambiguous match to an account): the leaked email is dropped
  (notices go to the directory's address); the city/region/country a notice quotes stay;
- people **under review** (an ambiguous or look-alike match, listed in ``review.csv``): email and
  location stay until a person decides, because they may become notifiable;
- everyone else (**unmatched**, including people matched only to an organization): email and
  location are dropped; they can never be sent a notice.

Hashes, exposed classes and fields, ISO country/region codes and jurisdictions stay: matching,
counts and legal applicability need them. A person matched only by a later scope run has no
location to quote (the notice names the field without a value). Each drop is counted and
recorded in the timeline. Dropped values are overwritten in SQLite pages (``secure_delete``);
``case purge`` remains the step that verifies the bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, update
from sqlalchemy.orm import Session

from breachscope.case.api import settled
from breachscope.case.models import Exposure, Match


@dataclass(frozen=True)
class Minimised:
    names: int  # display names dropped (any person)
    notifiable_emails: int  # emails of notifiable people dropped (the directory has the address)
    unmatched: int  # unmatched people whose email or location was dropped
    kept_for_review: int  # people under review whose values were kept

    @property
    def total(self) -> int:
        return self.names + self.notifiable_emails + self.unmatched

    def message(self) -> str:
        return (
            f"Stored data minimised after scope: emails and locations of {self.unmatched:,} unmatched "
            f"people dropped (they cannot be notified); leaked emails of {self.notifiable_emails:,} "
            f"notifiable people dropped (notices use the directory's address); {self.names:,} display "
            f"names dropped (no stage reads them); kept: locations notices quote, and the email and "
            f"location of {self.kept_for_review:,} people under review"
        )


def minimise(session: Session, incident_id: int) -> Minimised:
    """Drop the raw values the module doc lists, for one incident; returns what was dropped."""
    match = select(Match.id).where(Match.exposure_id == Exposure.id)
    notifiable = exists(match.where(Match.account_id.is_not(None), Match.ambiguous.is_(False)))
    review = exists(match.where(or_(Match.ambiguous.is_(True), Match.key == "email_lookalike")))
    mine = settled(session, incident_id)  # not the people of an unfinished attach
    location = or_(Exposure.city.is_not(None), Exposure.region.is_not(None), Exposure.country.is_not(None))

    def drop(where: ColumnElement[bool], **values: None) -> int:
        stmt = (
            update(Exposure).where(mine, where).values(**values).execution_options(synchronize_session=False)
        )
        return int(getattr(session.execute(stmt), "rowcount", 0) or 0)

    kept = session.scalar(select(func.count()).where(mine, review, ~notifiable)) or 0
    names = drop(Exposure.display_name.is_not(None), display_name=None)
    emails = drop(and_(notifiable, ~review, Exposure.email.is_not(None)), email=None)
    unmatched = drop(
        and_(~notifiable, ~review, or_(Exposure.email.is_not(None), location)),
        email=None,
        city=None,
        region=None,
        country=None,
    )
    session.flush()
    return Minimised(names, emails, unmatched, int(kept))
