"""Stratified draws: reproducible by seed, allocate's n_h, weights N_h/n_h, reserve apart."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.fieldwork.services import sampling
from surveyapp.fieldwork.services.frames import imports as frames
from surveyapp.models import Invitation, Sample, SampledUnit, SampleStratum, Survey
from surveyapp.problems import InputRefused
from surveyapp.scoring import allocate, slovin
from tests import factories
from tests.functional.test_cli import run

# Strata (agency × field) and their sizes N_h: 120 + 60 + 15 + 5 = 200 units.
STRATA = {("SXD", "Xây dựng"): 120, ("SXD", "Quy hoạch"): 60, ("STP", "Hộ tịch"): 15,
          ("STP", "Chứng thực"): 5}  # fmt: skip


def frame_file(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["dossier_code", "agency", "service_field", "received_at", "phone"])
        number = 0
        for (agency, field), size in STRATA.items():
            for _ in range(size):
                number += 1
                writer.writerow([f"HS{number:05d}", agency, field, "02/01/2024", "0912345678"])
    return path


@pytest.fixture()
def survey(app: Flask, tmp_path: Path) -> Survey:
    factories.province()
    created = factories.survey(("SXD", "STP"))
    frames.import_frame(db.session, created, frame_file(tmp_path / "frame.csv"))
    db.session.commit()
    return created


def labels() -> dict[str, int]:
    return {f"{agency} | {field}": size for (agency, field), size in STRATA.items()}


def drawn(sample: Sample, reserve: bool = False) -> list[str]:
    units = db.session.scalars(
        select(SampledUnit)
        .where(SampledUnit.sample_id == sample.id, SampledUnit.reserve == reserve)
        .order_by(SampledUnit.stratum, SampledUnit.reserve_order, SampledUnit.frame_unit_id)
    )
    return [u.frame_unit.dossier_code for u in units]


def test_per_stratum_sizes_are_allocates_output(survey: Survey) -> None:
    draw = sampling.draw_sample(
        db.session, survey, size=40, minimum=5, seed=7, links=factories.links()
    )
    expected = allocate(labels(), 40, method="proportional", minimum=5)
    assert {row.label: row.size for row in draw.strata} == expected
    assert {row.label: row.population for row in draw.strata} == labels()
    stored = db.session.scalars(
        select(SampleStratum).where(SampleStratum.sample_id == draw.sample.id)
    )
    assert {s.label: (s.population, s.size) for s in stored} == {
        label: (labels()[label], n) for label, n in expected.items()
    }
    assert len(draw.links) == 40 == db.session.query(Invitation).count()


def test_weights_sum_to_the_stratum_population(survey: Survey) -> None:
    draw = sampling.draw_sample(
        db.session, survey, size=40, allocation="equal", seed=1, links=factories.links()
    )
    main = db.session.scalars(
        select(SampledUnit).where(SampledUnit.sample_id == draw.sample.id, ~SampledUnit.reserve)
    ).all()
    totals: Counter[str] = Counter()
    for unit in main:
        totals[unit.stratum] += unit.base_weight
        assert unit.inclusion_probability == pytest.approx(1 / unit.base_weight)
    for label, population in labels().items():
        assert totals[label] == pytest.approx(population)
    invitations = db.session.scalars(select(Invitation)).all()
    assert {i.id for i in invitations} == {u.invitation_id for u in main}
    by_id = {i.id: i for i in invitations}
    for unit in main:
        invitation = by_id[unit.invitation_id]  # type: ignore[index]
        assert (invitation.stratum, invitation.base_weight) == (unit.stratum, unit.base_weight)
        assert invitation.agency.code == unit.stratum.split(" | ")[0]


def test_same_seed_same_sample_other_seed_other_sample(survey: Survey) -> None:
    first = sampling.draw_sample(db.session, survey, size=30, seed=2024, links=factories.links())
    units, reserve = drawn(first.sample), drawn(first.sample, reserve=True)
    again = sampling.draw_sample(
        db.session, survey, size=30, seed=2024, links=factories.links()
    )  # replaces the first
    assert (drawn(again.sample), drawn(again.sample, reserve=True)) == (units, reserve)
    assert db.session.scalars(select(Sample.id)).all() == [again.sample.id]
    other = sampling.draw_sample(db.session, survey, size=30, seed=2025, links=factories.links())
    assert drawn(other.sample) != units


def test_reserve_is_disjoint_from_the_main_sample_and_ordered(survey: Survey) -> None:
    draw = sampling.draw_sample(
        db.session, survey, size=50, seed=3, reserve_fraction=0.5, links=factories.links()
    )
    main, reserve = set(drawn(draw.sample)), drawn(draw.sample, reserve=True)
    assert not main & set(reserve)
    for row in draw.strata:
        assert row.reserve == min(-(-row.size // 2), row.population - row.size)
    orders = db.session.scalars(
        select(SampledUnit.reserve_order).where(SampledUnit.reserve).order_by(SampledUnit.id)
    ).all()
    assert None not in orders and len(reserve) == sum(r.reserve for r in draw.strata)


def test_margin_gives_slovins_total(survey: Survey) -> None:
    draw = sampling.draw_sample(db.session, survey, margin=0.05, seed=9, links=factories.links())
    assert draw.size == slovin(200, 0.05) == 134


def test_bad_arguments_are_refused_together(survey: Survey) -> None:
    with pytest.raises(InputRefused) as caught:
        sampling.draw_sample(
            db.session,
            survey,
            size=10,
            margin=0.05,
            allocation="x",
            strata_columns=("nope",),
            seed=-1,
            links=factories.links(),
        )
    assert {p.where for p in caught.value.problems} == {
        "--size",
        "--allocation",
        "--strata",
        "--seed",
    }
    with pytest.raises(InputRefused, match=r"sample size 201 is larger than the frame \(200"):
        sampling.draw_sample(db.session, survey, size=201, seed=1, links=factories.links())
    with pytest.raises(InputRefused, match=r"below the minimums per stratum \(20 in all"):
        sampling.draw_sample(
            db.session, survey, size=19, minimum=5, seed=1, links=factories.links()
        )


def test_a_sample_in_the_field_is_not_redrawn(survey: Survey) -> None:
    from surveyapp.models import Disposition

    draw = sampling.draw_sample(db.session, survey, size=10, seed=1, links=factories.links())
    invitation = db.session.scalars(select(Invitation)).first()
    assert invitation is not None
    invitation.disposition = Disposition.SENT
    db.session.commit()
    with pytest.raises(InputRefused, match="already in the field"):
        sampling.draw_sample(db.session, survey, size=10, seed=2, links=factories.links())
    assert db.session.scalars(select(Sample.id)).all() == [draw.sample.id]


def test_cli_draw_prints_the_table_and_writes_tokens(
    app: Flask, survey: Survey, tmp_path: Path
) -> None:
    out_file = tmp_path / "links.csv"
    args = ["sample", "draw", str(survey.id), "--size", "40", "--min", "5", "--seed", "11"]
    code, out, _ = run(app, *args, "-o", str(out_file))
    assert code == 0
    lines = [line.split("\t") for line in out.splitlines()]
    expected = allocate(labels(), 40, minimum=5)
    assert lines[:-1] == [
        [
            label,
            str(labels()[label]),
            str(expected[label]),
            f"{labels()[label] / expected[label]:.4f}",
        ]
        for label in sorted(labels())
    ]
    assert lines[-1] == ["total", "200", "40", "5.0000"]
    with out_file.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 40 and rows[0]["url"] == f"http://localhost/s/{rows[0]['token']}"
    code, _, err = run(app, "sample", "draw", str(survey.id), "--size", "5", "--margin", "0.1",
                       "--seed", "1")  # fmt: skip
    assert code == 1 and "either a sample size or a margin of error" in err


def test_contacts_never_reach_the_export(app: Flask, survey: Survey, tmp_path: Path) -> None:
    from tests.functional.test_respond import _answer_everything

    draw = sampling.draw_sample(db.session, survey, size=4, seed=5, links=factories.links())
    db.session.commit()
    client = app.test_client()
    for link in draw.links[:2]:
        _answer_everything(client, link.token)
    output = tmp_path / "export.csv"
    code, _, _ = run(app, "export", str(survey.id), "--format", "csv", "-o", str(output))
    assert code == 0
    text = output.read_text(encoding="utf-8")
    assert text.count("\n") >= 3  # header + two responses
    assert "0912345678" not in text and "HS0" not in text
