"""The data model, one module per aggregate."""

from surveyapp.models.audit import AuditEvent
from surveyapp.models.org import Agency, AgencyLevel, ApiToken, Role, User
from surveyapp.models.questionnaire import (
    FrozenVersionError,
    Questionnaire,
    QuestionnaireVersion,
    VersionStatus,
)
from surveyapp.models.response import Answer, Channel, Response, ResponseStatus
from surveyapp.models.sampling import (
    Allocation,
    FrameChannel,
    FrameContact,
    FrameUnit,
    Sample,
    SampledUnit,
    SampleStratum,
)
from surveyapp.models.survey import (
    Disposition,
    Invitation,
    Survey,
    SurveyMode,
    SurveyStatus,
    survey_agencies,
)

__all__ = [
    "Agency",
    "AgencyLevel",
    "Allocation",
    "Answer",
    "ApiToken",
    "AuditEvent",
    "Channel",
    "Disposition",
    "FrameChannel",
    "FrameContact",
    "FrameUnit",
    "FrozenVersionError",
    "Invitation",
    "Questionnaire",
    "QuestionnaireVersion",
    "Response",
    "ResponseStatus",
    "Role",
    "Sample",
    "SampleStratum",
    "SampledUnit",
    "Survey",
    "SurveyMode",
    "SurveyStatus",
    "User",
    "VersionStatus",
    "survey_agencies",
]
