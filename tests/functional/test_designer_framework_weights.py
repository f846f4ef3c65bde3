"""A weight the framework editor refuses stays in its field, beside its message (issue #15)."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.functional.test_designer import _blank, _designer, _post, _version


def weight_field(html: str, field_id: str) -> str:
    """The field holding input ``field_id``: its label, messages and input."""
    found = re.search(rf'<div class="field">(?:(?!<div).)*?id="{field_id}".*?</div>', html, re.S)
    assert found, f"no field {field_id}"
    return found.group(0)


def test_a_refused_element_weight_stays_beside_its_message(client: FlaskClient) -> None:
    _designer(client)
    base, key = _blank(client)
    element = _version(key).document["framework"]["elements"][0]
    refused = _post(
        client,
        f"{base}framework?lang=en",
        {"operation": "update_element", "element_id": element["id"], "label_vi": "Tiếp cận",
         "label_en": "", "weight": "2,5x"},
    )  # fmt: skip
    assert refused.status_code == 200
    field = weight_field(refused.text, f"e-{element['id']}-w")
    assert 'value="2,5x"' in field
    assert "is not a number" in field and "aria-invalid" in field
    assert _version(key).document["framework"]["elements"][0].get("weight", 1) == element.get(
        "weight", 1
    )


def test_a_refused_criterion_weight_stays_beside_its_message(client: FlaskClient) -> None:
    _designer(client)
    base, key = _blank(client)
    element = _version(key).document["framework"]["elements"][0]
    item = element["criteria"][0]["item"]
    freed = {"operation": "remove_criterion", "element_id": element["id"], "item": item}
    assert _post(client, f"{base}framework", freed).status_code == 303
    refused = _post(
        client,
        f"{base}framework?lang=en",
        {"operation": "add_criterion", "element_id": element["id"], "item": item, "weight": "-1"},
    )
    assert refused.status_code == 200
    field = weight_field(refused.text, f"cw-{element['id']}")
    assert 'value="-1"' in field and "greater than 0" in field
