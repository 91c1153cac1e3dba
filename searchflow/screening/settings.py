"""What the protocol's ``[screening]`` table says the rules are: who may do what, the
reasons a stage offers, the shares and flags assignment and conflicts read.

Every other screening module reads the protocol through these functions; the values were
checked once, when the protocol was read (:mod:`searchflow.protocol`).
"""
from __future__ import annotations

from ..protocol import Protocol
from .vocabulary import STAGE_VERDICTS, ScreeningError, check_stage


def check_reviewer(protocol: Protocol, reviewer: str) -> None:
    reviewers = protocol.screening.reviewers
    if not reviewers:
        raise ScreeningError(f"{protocol.path}: the protocol names no reviewers ([screening] reviewers)")
    if reviewer not in reviewers:
        raise ScreeningError(
            f"unknown reviewer {reviewer!r}; the protocol's reviewers are {', '.join(reviewers)}")


def check_lead(protocol: Protocol, lead: str, doing: str = "change blinding") -> None:
    if not protocol.screening.lead:
        raise ScreeningError(f"{protocol.path}: the protocol names no lead ([screening] lead) who may {doing}")
    if lead != protocol.screening.lead:
        raise ScreeningError(f"only the lead ({protocol.screening.lead}) may {doing}, not {lead!r}")


def resolvers(protocol: Protocol) -> list[str]:
    """Who may record a final decision: the protocol's resolvers, its lead, and the
    reviewers themselves (consensus; only once the stage is unblinded)."""
    names = list(protocol.screening.resolvers)
    for name in [protocol.screening.lead, *protocol.screening.reviewers]:
        if name and name not in names:
            names.append(name)
    return names


def second_reviewer_share(protocol: Protocol, stage: str) -> float:
    """Share of works a second reviewer screens: 1.0 (everything) unless the protocol says.

    A plain number applies to title/abstract only (full texts are assessed in duplicate);
    a table ``{title_abstract = 0.2, full_text = 1.0}`` sets each stage."""
    return protocol.screening.second_reviewer_share[stage]


def maybe_is_conflict(protocol: Protocol) -> bool:
    return protocol.screening.maybe_is_conflict


def screen_other_methods(protocol: Protocol) -> bool:
    """Whether works found only by other methods are screened at title/abstract (a search's own
    ``screen`` wins)."""
    return protocol.screening.screen_other_methods


def seed(protocol: Protocol) -> str:
    """The seed of assignment (and of random order): the same assignment on every machine."""
    return protocol.screening.seed


def reasons(protocol: Protocol, stage: str) -> list[str]:
    """The exclusion reasons offered at a stage (full text falls back to the general list)."""
    if stage == "full_text":
        return list(protocol.screening.full_text_reasons or protocol.screening.exclusion_reasons)
    return list(protocol.screening.exclusion_reasons)


def reason_required(protocol: Protocol, stage: str, verdict: str) -> bool:
    """Whether this verdict must carry an exclusion reason: an exclusion at full text does
    (PRISMA reports every excluded report's reason); at title/abstract a reason is optional."""
    check_stage(stage)
    return verdict == "exclude" and stage == "full_text"


def check_verdict(protocol: Protocol, stage: str, verdict: str, reason: str, resolution: bool = False) -> str:
    """The reason as the protocol spells it; raises for a verdict or reason the stage does not take."""
    if verdict not in STAGE_VERDICTS[stage]:
        raise ScreeningError(
            f"verdict {verdict!r} is not allowed at {stage}; expected {' | '.join(STAGE_VERDICTS[stage])}")
    if resolution and stage == "full_text" and verdict == "maybe":
        raise ScreeningError("a full-text resolution must decide: include, exclude or not_retrieved")
    reason = (reason or "").strip()
    if verdict != "exclude":
        if reason:
            raise ScreeningError(f"a reason goes with exclude only, not with {verdict} (use the note)")
        return ""
    if not reason:
        if reason_required(protocol, stage, verdict):
            raise ScreeningError(f"an exclusion at {stage.replace('_', ' ')} needs a reason from the protocol's list")
        return ""
    allowed = reasons(protocol, stage)
    if not allowed:          # the protocol lists no reasons: free text
        return reason
    for name in allowed:
        if name.casefold() == reason.casefold():
            return name
    raise ScreeningError(f"unknown reason {reason!r} at {stage}; the protocol's reasons are {'; '.join(allowed)}")
