"""The data model, one module per aggregate."""

from surveyapp.models.audit import AuditEvent
from surveyapp.models.jobs import ExportJob, JobStatus
from surveyapp.models.org import Agency, AgencyLevel, ApiToken, Role, User
from surveyapp.models.questionnaire import (
    FrozenVersionError,
    Questionnaire,
    QuestionnaireVersion,
    VersionStatus,
)
from surveyapp.models.response import (
    Answer,
    AnswerCorrection,
    Channel,
    Response,
    ResponseFlag,
    ResponseStatus,
    counted,
)
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
    RaterAssignment,
    SeriesMapping,
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
    "AnswerCorrection",
    "ApiToken",
    "AuditEvent",
    "Channel",
    "Disposition",
    "ExportJob",
    "FrameChannel",
    "FrameContact",
    "FrameUnit",
    "FrozenVersionError",
    "Invitation",
    "JobStatus",
    "Questionnaire",
    "QuestionnaireVersion",
    "RaterAssignment",
    "Response",
    "ResponseFlag",
    "ResponseStatus",
    "Role",
    "Sample",
    "SampleStratum",
    "SampledUnit",
    "SeriesMapping",
    "Survey",
    "SurveyMode",
    "SurveyStatus",
    "User",
    "VersionStatus",
    "counted",
    "survey_agencies",
]
