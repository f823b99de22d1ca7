"""All ORM models, one module per aggregate. Importing this package registers every table on Base.metadata."""

from momentos.models.analytics import (
    AnalyticsBucket,
    AnalyticsCase,
    AnalyticsDuration,
    AnalyticsEnd,
    AnalyticsMoment,
    AnalyticsMomentCustomer,
    AnalyticsPair,
    AnalyticsState,
    AnalyticsVariant,
)
from momentos.models.audit import AuditEntry
from momentos.models.catalog import JourneyModel, Service, Touchpoint
from momentos.models.customer import Consent, ConsentEvent, ConsentMapping, Customer, CustomerAlias, ErasedIdentity
from momentos.models.event import Event
from momentos.models.listening import (
    Feedback,
    ListeningSettings,
    Need,
    Survey,
    SurveyInvitation,
    WarningEpisode,
)
from momentos.models.notify import (
    MailboxMessage,
    Notification,
    NotificationAttempt,
    NotificationTemplate,
    StatusFeedback,
    StatusToken,
    WebhookEndpoint,
)
from momentos.models.ops import ImportRecord, WorkerHeartbeat
from momentos.models.organization import ApiKey, Organization
from momentos.models.policy import ContactDecision, ContactRule
from momentos.models.process import Process
from momentos.models.promise import PromiseDefinition, PromiseInstance, PromiseTransition
from momentos.models.segment import Segment
from momentos.models.user import LoginFailure, Membership, User, WebSession

__all__ = [
    "AnalyticsBucket",
    "AnalyticsCase",
    "AnalyticsDuration",
    "AnalyticsEnd",
    "AnalyticsMoment",
    "AnalyticsMomentCustomer",
    "AnalyticsPair",
    "AnalyticsState",
    "AnalyticsVariant",
    "ApiKey",
    "AuditEntry",
    "Consent",
    "ConsentEvent",
    "ConsentMapping",
    "ContactDecision",
    "ContactRule",
    "Customer",
    "CustomerAlias",
    "ErasedIdentity",
    "Event",
    "Feedback",
    "ImportRecord",
    "JourneyModel",
    "ListeningSettings",
    "LoginFailure",
    "MailboxMessage",
    "Membership",
    "Need",
    "Notification",
    "NotificationAttempt",
    "NotificationTemplate",
    "Organization",
    "Process",
    "PromiseDefinition",
    "PromiseInstance",
    "PromiseTransition",
    "Segment",
    "Service",
    "StatusFeedback",
    "StatusToken",
    "Survey",
    "SurveyInvitation",
    "Touchpoint",
    "User",
    "WarningEpisode",
    "WebSession",
    "WebhookEndpoint",
    "WorkerHeartbeat",
]
