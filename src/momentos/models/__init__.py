"""All ORM models, one module per aggregate. Importing this package registers every table on Base.metadata."""

from momentos.models.catalog import JourneyModel, Service, Touchpoint
from momentos.models.customer import Consent, Customer, CustomerAlias, ErasedIdentity
from momentos.models.event import Event
from momentos.models.notify import Notification, StatusFeedback, StatusToken, WebhookEndpoint
from momentos.models.organization import ApiKey, Organization
from momentos.models.policy import ContactDecision, ContactRule
from momentos.models.process import Process
from momentos.models.user import LoginFailure, Membership, User, WebSession

__all__ = [
    "ApiKey",
    "Consent",
    "ContactDecision",
    "ContactRule",
    "Customer",
    "CustomerAlias",
    "ErasedIdentity",
    "Event",
    "JourneyModel",
    "LoginFailure",
    "Membership",
    "Notification",
    "Organization",
    "Process",
    "Service",
    "StatusFeedback",
    "StatusToken",
    "Touchpoint",
    "User",
    "WebSession",
    "WebhookEndpoint",
]
