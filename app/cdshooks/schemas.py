"""CDS Hooks 2.0 request and response bodies (anchors.md (d)).

Requests are validated; responses are built as plain dicts by ``app.cdshooks.cards`` with
every empty optional field removed, and these models only document them in OpenAPI.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.schemas.base import UtcDateTime

_ID = r"^[A-Za-z0-9._:/-]+$"


class CdsModel(BaseModel):
    # Unknown members are ignored: 3.0-ballot fields and vendor additions must not break calls.
    model_config = ConfigDict(extra="ignore", frozen=True)


class FhirAuthorization(CdsModel):
    """OAuth 2.0 access token the service may use against `fhirServer`."""

    access_token: str = Field(min_length=1, max_length=8192, description="Bearer token.")
    token_type: Literal["Bearer"] = Field(description="Always `Bearer`.")
    expires_in: int = Field(ge=0, le=31_536_000, description="Lifetime in seconds.")
    scope: str = Field(min_length=1, max_length=4096, description="Granted scopes.")
    subject: str = Field(min_length=1, max_length=255, description="Our OAuth client id.")
    patient: str | None = Field(
        default=None, max_length=64, description="Patient in context (patient/ scopes)."
    )


class HookRequest(CdsModel):
    """A CDS Hooks service call."""

    hook: str = Field(
        min_length=1, max_length=64, description="The hook that fired.", examples=["patient-view"]
    )
    hookInstance: str = Field(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9-]+$",
        description="UUID of this hook call; a repeated value from the same client with the "
        "same request replays the first answer (with a different request: 409).",
        examples=["0f7c7a3e-2b8e-4a55-9b7e-3d2f6f0c9a11"],
    )
    fhirServer: str | None = Field(
        default=None,
        max_length=2000,
        description="FHIR base URL, used only when prefetch data is missing (HTTPS).",
        examples=["https://ehr.example.org/fhir"],
    )
    fhirAuthorization: FhirAuthorization | None = Field(
        default=None, description="Token for `fhirServer`."
    )
    context: dict[str, Any] = Field(
        description="Hook context: `userId`, `patientId`, `encounterId`; `draftOrders` (a "
        "Bundle) for order-sign.",
        examples=[{"userId": "Practitioner/pr-1", "patientId": "pt-42"}],
    )
    prefetch: dict[str, Any] | None = Field(
        default=None,
        description="Results of our prefetch templates by key; `null` = queried, none found; "
        "an absent key = not prefetched (fetched from `fhirServer` or 412).",
    )
    extension: dict[str, Any] | None = Field(default=None, description="Extensions (ignored).")


class Coding(BaseModel):
    system: str = Field(max_length=2048, description="Code system URI.")
    code: str = Field(max_length=256, description="Code.")
    display: str | None = Field(
        default=None, max_length=1024, description="Display text (always sent here)."
    )


class Source(BaseModel):
    label: str = Field(description="Who produced the card: our ruleset and version.")
    url: str | None = Field(default=None, description="The rule behind the card.")
    topic: Coding | None = Field(
        default=None, description="Stable per rule (EHRs key override memory on it)."
    )


class Action(BaseModel):
    type: Literal["create", "update", "delete"] = Field(description="What to do.")
    description: str = Field(description="Human-readable description.")
    resource: dict[str, Any] | None = Field(default=None, description="Resource to create.")
    resourceId: str | None = Field(default=None, description="`Type/id` to delete.")


class Suggestion(BaseModel):
    label: str = Field(description="Button text.")
    uuid: str | None = Field(default=None, description="Suggestion id (for feedback).")
    isRecommended: bool | None = Field(default=None, description="Recommended choice.")
    actions: list[Action] | None = Field(default=None, description="Changes to the chart.")


class Link(BaseModel):
    label: str = Field(description="Link text.")
    url: str = Field(description="Absolute URL.")
    type: Literal["absolute", "smart"] = Field(description="`absolute` here.")


class Card(BaseModel):
    """One card. Optional members with no value are absent (never null or empty)."""

    uuid: str | None = Field(default=None, description="Card id, for feedback.")
    summary: str = Field(max_length=139, description="Under 140 characters.")
    detail: str | None = Field(default=None, description="Markdown: basis and limitations.")
    indicator: Literal["info", "warning", "critical"] = Field(
        description="From the most severe alert behind the card."
    )
    source: Source = Field(description="Ruleset, rule URL and topic.")
    suggestions: list[Suggestion] | None = Field(default=None, description="Suggested actions.")
    selectionBehavior: Literal["at-most-one", "any"] | None = Field(
        default=None, description="Present whenever suggestions are."
    )
    overrideReasons: list[Coding] | None = Field(
        default=None, description="Reasons a clinician may give for overriding."
    )
    links: list[Link] | None = Field(default=None, description="The stored plan, the rule.")
    extension: dict[str, Any] | None = Field(
        default=None,
        description="`kratom-cds.explanation`: rule id and revision, ruleset version and "
        "hash, inputs used (with FHIR source), evidence.",
    )


class CdsResponse(BaseModel):
    cards: list[Card] = Field(description="Cards; `[]` = no guidance.")


class CdsServiceDescription(BaseModel):
    hook: str = Field(description="Hook the service answers.")
    id: str = Field(description="Service id (path segment).")
    title: str = Field(description="Human-friendly name.")
    description: str = Field(description="What it does.")
    prefetch: dict[str, str] = Field(description="Prefetch key -> FHIR query template.")


class Discovery(BaseModel):
    services: list[CdsServiceDescription] = Field(description="Our services.")


class OverrideReason(CdsModel):
    reason: Coding | None = Field(default=None, description="One of the card's overrideReasons.")
    userComment: str | None = Field(
        default=None, max_length=2000, description="Free text from the clinician."
    )


class AcceptedSuggestion(CdsModel):
    id: str = Field(min_length=1, max_length=128, description="The suggestion uuid.")


class FeedbackItem(CdsModel):
    card: str = Field(min_length=1, max_length=64, description="The card uuid.")
    outcome: Literal["accepted", "overridden"] = Field(description="What the clinician did.")
    acceptedSuggestions: list[AcceptedSuggestion] | None = Field(
        default=None, max_length=20, description="Required when accepted."
    )
    overrideReason: OverrideReason | None = Field(
        default=None, description="Why it was overridden."
    )
    outcomeTimestamp: UtcDateTime = Field(description="When (ISO 8601 with offset).")


class FeedbackRequest(CdsModel):
    """Outcomes of cards we returned."""

    feedback: list[FeedbackItem] = Field(
        min_length=1, max_length=100, description="One entry per card acted on."
    )
