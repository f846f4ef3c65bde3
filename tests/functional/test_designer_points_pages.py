"""The points editors: points per answer on the scale page, the questions that count and
the bands on the scoring page; refusals say what and where and keep what was typed."""

from __future__ import annotations

import copy
import html
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import Questionnaire, QuestionnaireVersion
from tests import factories

KEY = "tt01-dossier-hn"


def _start(client: FlaskClient) -> str:
    known = factories.province()
    factories.user("designer@hn.example", "designer", known["SXD"])
    factories.login(client, "designer@hn.example")
    created = _post(client, "/designer/create", {"template": "tt01-dossier"})
    return str(created.headers["Location"]).split("#")[0]


def _post(client: FlaskClient, url: str, data: dict[str, Any], **kw: Any) -> Any:
    body = {"csrf_token": factories.csrf_from(client.get("/designer/").text), **data}
    return client.post(url, data=body, **kw)


def _version() -> QuestionnaireVersion:
    db.session.expire_all()
    found = db.session.scalar(
        select(QuestionnaireVersion).join(Questionnaire).where(Questionnaire.key == KEY)
    )
    assert found is not None
    return found


def test_bands_are_edited_on_the_scoring_page_and_bad_ones_explained(
    client: FlaskClient,
) -> None:
    base = _start(client)
    url = f"{base}framework"
    page = html.unescape(client.get(f"{url}?lang=en").text)
    assert 'id="fw-points"' in page
    assert 'name="band_min" value="16"' in page and 'name="band_vi" value="Xuất sắc"' in page
    assert 'value="tt01_i9_online" checked' in page
    counted = _version().document["framework"]["points"]["items"]
    refused = _post(
        client,
        f"{url}?lang=en",
        {
            "operation": "set_points",
            "points_items": counted,
            "band_min": ["12", "16", ""],
            "band_vi": ["Tốt", "Xuất sắc", ""],
            "band_en": ["Good", "", ""],
        },
    )
    assert refused.status_code == 200
    text = html.unescape(refused.text)
    assert "Band 2: the English label is required." in text
    assert "Band 2: its lowest total (16) must be below that of band 1 (12)" in text
    assert 'name="band_min" value="12"' in text  # what was typed, not what is stored
    assert _version().document["framework"]["points"]["bands"][0]["min"] == 16
    saved = _post(
        client,
        url,
        {
            "operation": "set_points",
            "points_items": counted[:3],
            "band_min": ["5", "0"],
            "band_vi": ["Đạt", "Chưa đạt"],
            "band_en": ["Pass", "Not yet"],
            "item_max": "2",
            "points_max": "6",
        },
    )
    assert saved.status_code == 303
    points = _version().document["framework"]["points"]
    assert points["items"] == counted[:3] and points["max"] == 6
    assert [b["min"] for b in points["bands"]] == [5, 0]
    assert _post(client, url, {"operation": "clear_points"}).status_code == 303
    assert "points" not in _version().document["framework"]


def test_answers_get_their_points_on_the_scale_page(client: FlaskClient) -> None:
    base = _start(client)
    page = client.get(f"{base}scales/tt01_time?lang=en")
    assert 'name="option_points" value="2"' in page.text
    saved = _post(
        client,
        f"{base}scales/tt01_time",
        {
            "option_code": ["2", "1", "0", ""],
            "option_vi": ["Sớm", "Đúng hạn", "Trễ", ""],
            "option_en": ["Early", "On time", "Late", ""],
            "option_points": ["2", "2", "0", ""],
        },
    )
    assert saved.status_code == 303
    options = _version().document["scales"]["tt01_time"]["options"]
    assert [o["points"] for o in options] == [2, 2, 0]
    # TT01 counts this scale at most 2 points a question: 3 would overflow the bands
    over = _post(
        client,
        f"{base}scales/tt01_time?lang=en",
        {"option_code": ["2", "1"], "option_vi": ["Sớm", "Trễ"], "option_points": ["3", "0"]},
    )
    assert "gives 3 points, more than one question&#39;s maximum (2)" in over.text
    assert [o["points"] for o in _version().document["scales"]["tt01_time"]["options"]] == [2, 2, 0]
    refused = _post(
        client,
        f"{base}scales/tt01_time?lang=en",
        {"option_code": ["2"], "option_vi": ["Sớm"], "option_points": ["a lot"]},
    )
    assert "Row 1: points are a number of at least 0." in refused.text
    # a question with its own answers keeps their points when reworded
    version = _version()
    document = copy.deepcopy(version.document)
    evaluator = document["sections"][0]["items"][2]
    evaluator.pop("scale")
    evaluator["options"] = [{"code": 1, "label": {"vi": "Có", "en": "Yes"}, "points": 1}]
    version.document = document
    db.session.commit()
    item_page = client.get(f"{base}items/evaluator")
    assert 'name="option_points" value="1"' in item_page.text


def test_a_points_problem_links_to_the_points_editor(client: FlaskClient) -> None:
    base = _start(client)
    version = _version()
    document = copy.deepcopy(version.document)
    document["framework"]["points"]["bands"][1]["min"] = 30  # above the band before it
    version.document = document
    db.session.commit()
    editor = client.get(base)
    assert f'href="{base}framework#fw-points">framework.points.bands[1].min</a>' in editor.text
