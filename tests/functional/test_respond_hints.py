"""An item's ``hint`` (from the designer or an XLSForm ``hint`` column) shows beside it."""

from __future__ import annotations

from flask.testing import FlaskClient

from surveyapp.design.services import questionnaires
from surveyapp.extensions import db
from surveyapp.models import SurveyMode
from surveyapp.models._types import utcnow
from surveyapp.questionnaire.templates import load_template
from surveyapp.surveys.services import agencies, surveys
from tests import factories

HINT = {"vi": "Tính cả lần nộp hồ sơ", "en": "Count the visit when you submitted"}


def test_hint_is_shown_in_the_respondents_language(client: FlaskClient) -> None:
    doc = load_template("sipas-2017")
    doc["id"] = "sipas-2017-hinted"
    trips = next(i for s in doc["sections"] for i in s["items"] if i["id"] == "trips")
    trips["hint"] = HINT
    factories.province()
    survey = surveys.create_survey(
        db.session,
        version=questionnaires.import_questionnaire(db.session, doc),
        title="Gợi ý",
        agencies=agencies.by_codes(db.session, ["SXD"]),
        mode=SurveyMode.INVITED,
        now=utcnow(),
    )
    db.session.commit()
    token = factories.tokens(survey, "SXD")[0]
    welcome = client.get(f"/s/{token}")
    client.post(f"/s/{token}", data={**factories.form_fields(welcome.text), "action": "next"})

    assert f'<p class="hint">{HINT["vi"]}</p>' in client.get(f"/s/{token}").text
    assert f'<p class="hint">{HINT["en"]}</p>' in client.get(f"/s/{token}?lang=en").text
