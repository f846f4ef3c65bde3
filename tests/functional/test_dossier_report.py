"""The agency report's dossier score adds up the options' points, not the answer codes."""

from __future__ import annotations

import copy
import re

from flask.testing import FlaskClient

from surveyapp.design.services import questionnaires
from surveyapp.extensions import db
from surveyapp.models import Answer, Response, ResponseStatus
from surveyapp.models._types import utcnow
from surveyapp.questionnaire.templates import load_template
from surveyapp.surveys.services import agencies, surveys
from tests import factories

NA = 9  # "not applicable" on the indices 8 and 9


def reversed_tt01() -> dict[str, object]:
    """TT01 with each index's points turned around: code 2 scores 0 points, code 0 two."""
    doc = copy.deepcopy(load_template("tt01-dossier"))
    doc["id"], doc["version"] = "tt01-reversed", 1
    counted = set(doc["framework"]["points"]["items"])
    scales = {i["scale"] for s in doc["sections"] for i in s["items"] if i["id"] in counted}
    for name in scales:
        for option in doc["scales"][name]["options"]:
            if not option.get("missing"):
                option["points"] = 2 - option["code"]
    return doc


def test_report_mean_and_bands_come_from_the_options_points(client: FlaskClient) -> None:
    """Three kinds of dossier, codes per index → points (reversed) → total of 18 → band:
    all 2 → 0 → weak; all 0 → 18 → excellent; 2 on i1–i7, i8–i9 N/A → 0 of 14 → 0 → weak.
    Mean total (0 + 18 + 0) / 3 = 6.0; shares 1/3 excellent, 2/3 weak. Adding the codes
    would give 18, 0 and 18: mean 12.0, 2/3 excellent."""
    factories.province()
    factories.user()
    version = questionnaires.import_questionnaire(db.session, reversed_tt01())
    survey = surveys.create_survey(
        db.session,
        version=version,
        title="Đánh giá hồ sơ",
        agencies=agencies.by_codes(db.session, ["SXD"]),
        now=utcnow(),
    )
    items = survey.version.document["framework"]["points"]["items"]
    for codes in ([2] * 9, [0] * 9, [2] * 7 + [NA, NA]) * 4:  # 12: none suppressed
        response = Response(
            survey_id=survey.id,
            questionnaire_version_id=version.id,
            agency_id=survey.agencies[0].id,
            status=ResponseStatus.SUBMITTED,
            submitted_at=utcnow(),
        )
        db.session.add(response)
        db.session.flush()
        for item, code in zip(items, codes, strict=True):
            db.session.add(Answer(response_id=response.id, item_id=item, value_num=code))
    db.session.commit()
    factories.login(client)
    page = client.get(f"/results/{survey.id}/agencies/SXD/report?lang=en")
    assert page.status_code == 200
    mean = re.search(r"Dossier score \(mean\)</th>\s*<td[^>]*>([\d.]+) / 18<", page.text)
    assert mean and mean.group(1) == "6.0"
    assert "points over 9 questions" in page.text
    bands = page.text[page.text.index("Dossiers by band") :]
    shares = dict(re.findall(r'<th scope="row">(\w+)</th>\s*<td class="num est">([\d.]+)%', bands))
    assert shares == {
        "Excellent": "33.33",
        "Good": "0.00",
        "Fair": "0.00",
        "Average": "0.00",
        "Weak": "66.67",
    }
