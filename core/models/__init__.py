from .audit import AuditEvent
from .badge import (
    Badge,
    BadgeCondition,
    BadgeHolding,
    BadgeMatch,
    BadgeRecompute,
    ConditionKind,
)
from .boost import Boost
from .contact import Contact
from .contact_import import ConsentRecord, ContactImport, ImportSchedule
from .contest import (
    Contest,
    ContestEntry,
    ContestOptIn,
    ContestPrize,
    ContestStatus,
    ContestWinner,
    Participants,
    TicketSource,
    WinnerStatus,
)
from .held import AnonymousInvitationDay, HeldInvitation
from .idempotency import IdempotentRequest
from .loyalty import LoyaltyEntry, LoyaltyKind
from .messages import MessageTemplate, ScenarioStep, ScheduledMessage
from .order import Order, Refund
from .program import AccountKey, ApiKey, Program, RewardRule
from .referral import Invitation, Referral, ShareClick
from .reward import PoolCode, Reward
from .summary import DayChannel, DayFirsts, DaySummary
from .widget_error import RefusedOrigin

__all__ = [
    "AnonymousInvitationDay",
    "AccountKey",
    "ApiKey",
    "AuditEvent",
    "Badge",
    "BadgeCondition",
    "BadgeHolding",
    "BadgeMatch",
    "BadgeRecompute",
    "Boost",
    "ConditionKind",
    "ConsentRecord",
    "Contact",
    "ContactImport",
    "Contest",
    "ContestEntry",
    "ContestOptIn",
    "ContestPrize",
    "ContestStatus",
    "ContestWinner",
    "DayChannel",
    "DayFirsts",
    "DaySummary",
    "HeldInvitation",
    "IdempotentRequest",
    "ImportSchedule",
    "Invitation",
    "LoyaltyEntry",
    "LoyaltyKind",
    "MessageTemplate",
    "Participants",
    "Order",
    "PoolCode",
    "Program",
    "Referral",
    "RefusedOrigin",
    "Refund",
    "Reward",
    "RewardRule",
    "ScenarioStep",
    "ScheduledMessage",
    "ShareClick",
    "TicketSource",
    "WinnerStatus",
]
