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
from momentos.models.catalog import JourneyModel, Service, Touchpoint
from momentos.models.customer import Consent, Customer, CustomerAlias, ErasedIdentity
from momentos.models.event import Event
from momentos.models.notify import Notification, StatusFeedback, StatusToken, WebhookEndpoint
from momentos.models.organization import ApiKey, Organization
from momentos.models.policy import ContactDecision, ContactRule
from momentos.models.process import Process

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
    "Consent",
    "ContactDecision",
    "ContactRule",
    "Customer",
    "CustomerAlias",
    "ErasedIdentity",
    "Event",
    "JourneyModel",
    "Notification",
    "Organization",
    "Process",
    "Service",
    "StatusFeedback",
    "StatusToken",
    "Touchpoint",
    "WebhookEndpoint",
]
