"""Blinding: reviewers see only their own verdicts at a stage until the lead unblinds it.

:func:`can_see_others` is the rule; every command that shows verdicts asks
:func:`shown_verdicts` (or :func:`check_sees_every_verdict`), and the TUI asks
:func:`can_see_others`, so the rule lives here alone.
"""
from __future__ import annotations

from typing import Iterable

from ..protocol import Protocol
from ..store import Store
from .settings import check_lead, check_reviewer, resolvers
from .vocabulary import ScreeningError, check_stage


def is_unblinded(store: Store, protocol: Protocol, stage: str) -> bool:
    check_stage(stage)
    return store.blinding_action(stage) == "unblind"


def is_blinded(store: Store, protocol: Protocol, stage: str) -> bool:
    """A stage is blinded until the lead unblinds it, when there is another reviewer to be blind to."""
    return len(protocol.screening.reviewers) > 1 and not is_unblinded(store, protocol, stage)


def can_see_others(store: Store, protocol: Protocol, stage: str, viewer: str, as_lead: bool = False) -> bool:
    """The blinding rule: reviewers see others' verdicts only once the stage is unblinded; the
    lead asking as the lead, and a resolver who screens nothing, may always see them (that is
    their job). Every command, the TUI and the reports come through here."""
    if as_lead:
        check_lead(protocol, viewer, "see every verdict of a blinded stage")
        return True
    return viewer not in protocol.screening.reviewers or not is_blinded(store, protocol, stage)


def check_can_view(store: Store, protocol: Protocol, stage: str, viewer: str) -> None:
    if not can_see_others(store, protocol, stage, viewer):
        lead = protocol.screening.lead or "the lead"
        raise ScreeningError(
            f"{stage} is blinded: {viewer} screens it and sees only their own verdicts until {lead} unblinds it "
            f"(searchflow unblind PROTOCOL --stage {stage} --lead {lead})")


def shown_verdicts(store: Store, protocol: Protocol, stages: Iterable[str], lead: str | None = None,
                   reviewer: str | None = None, own_only: bool = True) -> dict[str, str]:
    """Whose verdicts may be shown to the person asking: the stages (stage -> reviewer) where only
    that reviewer's own may be; every reviewer's at the rest. While a stage is blinded the asker
    must say who they are: the protocol's lead (everything) or a reviewer (their own). ``own_only``
    false: the output cannot be shown one reviewer at a time, so the refusal does not offer it."""
    own = {}
    stages = list(stages)
    for stage in stages:
        check_stage(stage)
        if lead is not None:
            can_see_others(store, protocol, stage, lead, as_lead=True)
        elif reviewer is not None:
            if reviewer not in resolvers(protocol):
                check_reviewer(protocol, reviewer)
            if not can_see_others(store, protocol, stage, reviewer):
                own[stage] = reviewer
        elif is_blinded(store, protocol, stage):
            who = f"the lead, {protocol.screening.lead}" if protocol.screening.lead else "the protocol's lead"
            ways = [f"give --lead NAME ({who}) to see every verdict"]
            if own_only:
                ways.append("--reviewer NAME to see only your own")
            ways += [f"--stage {s}, unblinded" for s in stages if s != stage and not is_blinded(store, protocol, s)]
            raise ScreeningError(f"{stage} is blinded: {', or '.join(ways)}")
    return own


def check_sees_every_verdict(store: Store, protocol: Protocol, stages: Iterable[str], lead: str | None = None,
                             reviewer: str | None = None) -> None:
    """For what cannot be shown one reviewer at a time (conflicts, agreement): refuse a
    reviewer at a blinded stage, as :func:`shown_verdicts` decides."""
    for stage, own in shown_verdicts(store, protocol, stages, lead=lead, reviewer=reviewer, own_only=False).items():
        check_can_view(store, protocol, stage, own)


def unblind(store: Store, protocol: Protocol, stage: str, lead: str) -> int | None:
    """The lead opens a stage: every reviewer may now see every verdict. A stage already open
    records nothing (None): the event that opened it stands."""
    check_stage(stage)
    check_lead(protocol, lead)
    if is_unblinded(store, protocol, stage):
        return None
    return store.add_blinding(stage, "unblind", lead)
