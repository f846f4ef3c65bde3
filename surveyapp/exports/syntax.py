"""Scripts that read an export and declare its design: R (survey), Stata (svy), SPSS (CSPLAN).

Each script reads the ``.sav`` (R through haven, SPSS) or ``.dta`` (Stata) export of
the survey, declares the design from its columns (``weight``, ``stratum``, ``fpc`` when
the sample was drawn from a frame, ``psu`` when clustered) and computes the overall
index and the elements as surveyapp does: a criterion is the weighted share of valid
answers in the satisfied codes, each with its own denominator; an element and the
overall index are fixed linear combinations of them. Their standard errors come from
the total of the linearised values (Woodruff 1971), which is what the survey packages
do for a ratio and for a contrast of ratios: the figures match the dashboard's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from surveyapp.exports.table import ExportDesign, columns
from surveyapp.exports.variables import variables
from surveyapp.questionnaire.document import Questionnaire
from surveyapp.scoring import Framework

LANGUAGES = {"r": "sav", "stata": "dta", "spss": "sav"}  # --for → the export it reads
SUFFIX = {"r": "R", "stata": "do", "spss": "sps"}
# A stratum the draw does not know is sampled with replacement; Stata and SPSS cannot
# say N_h = ∞, so a population this large stands for it (f_h below 1e-12).
HUGE_POPULATION = "1e15"


@dataclass(frozen=True)
class Element:
    id: str
    label: str
    criteria: dict[str, float]  # variable name → coefficient (normalised criterion weight)


@dataclass(frozen=True)
class Index:
    """The framework as a script computes it, in the export's variable names."""

    title: str
    source: str  # questionnaire id and version
    satisfied: tuple[int, ...]
    criteria: list[str]  # variable names, each once, framework order
    elements: list[Element]
    overall: dict[str, float]  # element id → coefficient
    pooled: bool
    groups: list[tuple[str, list[str], float]]  # group id, its elements, share of the overall


@dataclass(frozen=True)
class Script:
    language: str  # "r", "stata", "spss"
    data_file: str  # the export it reads
    finite_population: bool
    clustered: bool
    index: Index


def script(
    language: str, questionnaire: Questionnaire, design: ExportDesign, data_file: str, lang: str
) -> str:
    """The script for ``language`` that reads ``data_file`` (the survey's export)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; use one of {', '.join(LANGUAGES)}")
    spec = Script(
        language,
        data_file,
        finite_population=bool(design.populations),
        clustered=design.clustered,
        index=index_of(questionnaire, design.clustered, lang),
    )
    writer: Callable[[Script], list[str]] = {"r": _r, "stata": _stata, "spss": _spss}[language]
    return "\n".join(writer(spec)) + "\n"


def index_of(questionnaire: Questionnaire, clustered: bool, lang: str) -> Index:
    fw = Framework.from_dict(questionnaire.framework)
    cols = columns(questionnaire, lang, clustered=clustered)
    # An item's variable in the .sav/.dta: its id, unless that had to be made legal.
    named = {cols[v.source].name: v.name for v in variables(cols, questionnaire, lang)}
    by_item = {item: named.get(item, item) for item in fw.criteria_items}
    labels = {e["id"]: questionnaire.label(e, lang) for e in questionnaire.framework["elements"]}
    elements = []
    for e in fw.elements:
        total = sum(c.weight for c in e.criteria)
        coefficients: dict[str, float] = {}
        for c in e.criteria:
            name = by_item[c.item]
            coefficients[name] = coefficients.get(name, 0.0) + c.weight / total
        elements.append(Element(e.id, labels.get(e.id) or e.id, coefficients))
    overall: dict[str, float] = {}
    groups: list[tuple[str, list[str], float]] = []
    if fw.groups:
        group_total = sum(g.weight for g in fw.groups)
        for g in fw.groups:
            members = [e for e in fw.elements if e.group == g.id]
            total = sum(e.weight for e in members)
            for e in members:
                overall[e.id] = overall.get(e.id, 0.0) + g.weight / group_total * e.weight / total
            groups.append((g.id, [e.id for e in members], g.weight / group_total))
    else:
        total = sum(e.weight for e in fw.elements)
        overall = {e.id: e.weight / total for e in fw.elements}
    return Index(
        title=questionnaire.title(lang),
        source=f"{questionnaire.id} v{questionnaire.version}",
        satisfied=tuple(int(c) for c in fw.satisfied),
        criteria=list(dict.fromkeys(by_item.values())),
        elements=elements,
        overall=overall,
        pooled=fw.aggregate == "pooled",
        groups=groups,
    )


def _num(value: float) -> str:
    """15 significant digits: 0.04, not 0.04000000000000001 (far below any SE)."""
    return format(float(value), ".15g")


def _definitions(spec: Script, comment: str) -> list[str]:
    """The index definitions and the design, as comment lines."""
    idx = spec.index
    codes = ", ".join(str(c) for c in idx.satisfied)
    element_rule = (
        "the share of satisfied answers among all valid answers to its criteria (pooled)"
        if idx.pooled
        else "the weighted mean of its criteria (coefficients below), each criterion "
        "keeping its own denominator"
    )
    lines = [
        f"{idx.title} ({idx.source}): the sampling design and the indices, from {spec.data_file}",
        "",
        "Definitions (as surveyapp computes them):",
        f"  criterion = weighted share of valid answers in the satisfied codes ({codes});",
        "              codes declared missing (not applicable, no answer) are left out",
        f"  element   = {element_rule}",
        "  overall   = the weighted mean of the elements"
        + (" through their groups" if idx.groups else "")
        + " (coefficients below)",
        "  SE        = Taylor linearisation: the SE of the total of the linearised values",
        "  CIs       = criteria: logit with t on the design's df; elements and overall:",
        "              value +/- 1.96 SE (surveyapp's dashboard and exports)",
    ]
    for e in idx.elements:
        parts = ", ".join(f"{name} {_num(a)}" for name, a in e.criteria.items())
        lines.append(f"  {e.id} ({e.label}): {parts}")
    for group, members, share in idx.groups:
        lines.append(f"  group {group} ({_num(share)} of the overall): {', '.join(members)}")
    lines.append("  overall: " + ", ".join(f"{k} {_num(a)}" for k, a in idx.overall.items()))
    lines.append("")
    if spec.finite_population:
        lines.append(
            "Design: a stratified sample drawn from the frame without replacement; fpc = N_h,"
        )
        lines.append("        the stratum's size in the frame (empty: with replacement)")
    else:
        lines.append("Design: no frame behind the responses: strata and weights, with replacement")
    if spec.clustered:
        lines.append("        clusters: psu, the primary sampling unit of each response")
    lines.append("        a stratum with one respondent adds no variance, as in surveyapp")
    return [f"{comment} {line}".rstrip() for line in lines]


# --- R -----------------------------------------------------------------------------------


def _r(spec: Script) -> list[str]:
    idx = spec.index
    ids = "~psu" if spec.clustered else "~1"
    fpc = ", fpc = ~fpc" if spec.finite_population else ""
    lines = [
        *_definitions(spec, "#"),
        "",
        "library(haven)",
        "library(survey)",
        'options(survey.lonely.psu = "remove")',
        "",
        "# haven reads the codes declared missing as NA",
        f'd <- as.data.frame(zap_labels(read_sav("{spec.data_file}")))',
    ]
    if spec.finite_population:
        lines.append("d$fpc[is.na(d$fpc)] <- Inf  # a stratum the draw does not know")
    lines += [
        f"des <- svydesign(ids = {ids}, strata = ~stratum, weights = ~weight{fpc}, data = d)",
        "",
        f"satisfied <- c({', '.join(str(c) for c in idx.satisfied)})",
        "w <- d$weight",
        "# A ratio r = sum(w * yes) / sum(w * valid) has the linearised value",
        "# z = (yes - r * valid) / sum(w * valid); a linear combination of ratios has the same",
        "# combination of their z, and its SE is the SE of the design-based total of z.",
        "ratio <- function(yes, valid) {",
        "  r <- sum(w * yes) / sum(w * valid)",
        "  list(value = r, z = (yes - r * valid) / sum(w * valid), yes = yes, valid = valid)",
        "}",
        "criterion <- function(x) {",
        "  valid <- as.numeric(!is.na(x))",
        "  ratio(as.numeric(valid == 1 & x %in% satisfied), valid)",
        "}",
        "combine <- function(parts, coef) list(",
        "  value = sum(coef * sapply(parts, function(p) p$value)),",
        "  z = Reduce(`+`, Map(function(p, a) a * p$z, parts, coef)))",
        "se <- function(z) SE(svytotal(~lin, update(des, lin = z)))[1]",
        "",
        f"criteria <- lapply(d[c({_r_names(idx.criteria)})], criterion)",
    ]
    lines.append("elements <- list(")
    for k, e in enumerate(idx.elements):
        end = "," if k < len(idx.elements) - 1 else ""
        if idx.pooled:
            picked = f"criteria[c({_r_names(list(e.criteria))})]"
            lines.append(
                f'  `{e.id}` = ratio(Reduce(`+`, lapply({picked}, `[[`, "yes")), '
                f'Reduce(`+`, lapply({picked}, `[[`, "valid"))){end}'
            )
        else:
            coef = ", ".join(_num(a) for a in e.criteria.values())
            lines.append(
                f"  `{e.id}` = combine(criteria[c({_r_names(list(e.criteria))})], c({coef})){end}"
            )
    lines.append(")")
    coef = ", ".join(_num(a) for a in idx.overall.values())
    lines += [
        f"overall <- combine(elements[c({_r_names(list(idx.overall))})], c({coef}))",
        "",
        "estimates <- rbind(",
        "  overall = c(value = overall$value, se = se(overall$z)),",
        "  t(sapply(elements, function(e) c(value = e$value, se = se(e$z)))),",
        "  t(sapply(criteria, function(e) c(value = e$value, se = se(e$z)))))",
        "print(estimates, digits = 12)",
        "",
        "# The same criterion with the survey package's own ratio estimator:",
        f"first <- criteria[[{_r_names(idx.criteria[:1])}]]",
        "svyratio(~yes, ~valid, update(des, yes = first$yes, valid = first$valid))",
    ]
    return lines


def _r_names(names: list[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


# --- Stata -------------------------------------------------------------------------------


def _stata(spec: Script) -> list[str]:
    idx = spec.index
    psu = "psu" if spec.clustered else "_n"
    fpc = " fpc(fpc)" if spec.finite_population else ""
    number = {name: k for k, name in enumerate(idx.criteria, start=1)}
    lines = [*_definitions(spec, "*"), "", f'use "{spec.data_file}", clear']
    if spec.finite_population:
        lines.append(
            f"replace fpc = {HUGE_POPULATION} if missing(fpc)  // a stratum the draw does not know"
        )
    lines += [
        f"svyset {psu} [pweight=weight], strata(stratum){fpc} singleunit(certainty)",
        "",
        "* y# = 1 for a satisfied answer, v# = 1 for a valid one (codes declared missing",
        "* are Stata's .a, .b, ...: missing)",
    ]
    codes = ", ".join(str(c) for c in idx.satisfied)
    for name, k in number.items():
        lines.append(f"generate byte v{k} = !missing({name})")
        lines.append(f"generate byte y{k} = v{k} & inlist({name}, {codes})")
    lines.append("")
    if idx.pooled:  # one ratio per element: its satisfied answers over its valid ones
        ratios = []
        for j, e in enumerate(idx.elements, start=1):
            lines.append(f"generate ye{j} = " + " + ".join(f"y{number[n]}" for n in e.criteria))
            lines.append(f"generate ve{j} = " + " + ".join(f"v{number[n]}" for n in e.criteria))
            ratios.append(f"(e{j}: ye{j}/ve{j})")
        lines += _wrapped("svy: ratio", ratios, " ///")
        terms = {e.id: {f"e{j}": 1.0} for j, e in enumerate(idx.elements, start=1)}
    else:
        ratios = [f"({name}: y{k}/v{k})" for name, k in number.items()]
        lines += _wrapped("svy: ratio", ratios, " ///")
        terms = {e.id: e.criteria for e in idx.elements}
    lines += ["", "* Elements: fixed combinations of the criteria"]
    for e in idx.elements:
        lines.append(f"* {e.id}: {e.label}")
        lines += _wrapped("lincom", [_stata_sum(terms[e.id])], " ///")
    overall: dict[str, float] = {}
    for element, a in idx.overall.items():
        for name, b in terms[element].items():
            overall[name] = overall.get(name, 0.0) + a * b
    lines += ["", "* The overall index"]
    lines += _wrapped("lincom", [_stata_sum(overall)], " ///")
    return lines


def _stata_sum(coefficients: dict[str, float]) -> str:
    return " + ".join(f"{_num(a)}*_b[{name}]" for name, a in coefficients.items())


def _wrapped(command: str, parts: list[str], continuation: str = "") -> list[str]:
    """``command`` with its parts over short lines (Stata ends each with ``///``; SPSS
    needs nothing: a command runs to its period)."""
    words = " ".join(parts).split(" ")
    lines, line = [], command
    for word in words:
        if len(line) + len(word) > 84:
            lines.append(line + continuation)
            line = "    " + word
        else:
            line += " " + word
    return [*lines, line]


# --- SPSS --------------------------------------------------------------------------------


def _spss(spec: Script) -> list[str]:
    idx = spec.index
    k = len(idx.criteria)
    plan = spec.data_file.rsplit(".", 1)[0] + ".csaplan"
    codes = ", ".join(str(c) for c in idx.satisfied)
    lines = [f"{line}." for line in _definitions(spec, "*")]
    lines.append("")
    lines += [f"GET FILE='{spec.data_file}'."]
    if spec.finite_population:
        lines.append(f"IF (SYSMIS(fpc)) fpc = {HUGE_POPULATION}.")
    lines += [
        "* y# = 1 for a satisfied answer, v# = 1 for a valid one (declared missing is missing).",
        *_wrapped("DO REPEAT x =", [*idx.criteria, f"/ y = y1 TO y{k} / v = v1 TO v{k}."]),
        "  COMPUTE v = NOT MISSING(x).",
        "  COMPUTE y = 0.",
        f"  IF (v AND ANY(x, {codes})) y = 1.",
        "END REPEAT.",
    ]
    units = [(f"y{j}", f"v{j}", f"r{j}", f"z{j}") for j in range(1, k + 1)]
    number = {name: j for j, name in enumerate(idx.criteria, start=1)}
    if idx.pooled:
        for e in idx.elements:
            ys = " + ".join(f"y{number[n]}" for n in e.criteria)
            vs = " + ".join(f"v{number[n]}" for n in e.criteria)
            lines += [f"COMPUTE ye_{e.id} = {ys}.", f"COMPUTE ve_{e.id} = {vs}."]
            units.append((f"ye_{e.id}", f"ve_{e.id}", f"value_{e.id}", f"z_{e.id}"))
    lines.append("* Weighted sums, ratios and their linearised values z.")
    for y, v, *_ in units:
        lines += [f"COMPUTE w{y} = weight * {y}.", f"COMPUTE w{v} = weight * {v}."]
    lines.append("AGGREGATE /OUTFILE=* MODE=ADDVARIABLES /BREAK=")
    lines += [f"  /s{y} = SUM(w{y}) /s{v} = SUM(w{v})" for y, v, *_ in units]
    lines[-1] += "."
    for y, v, r, z in units:
        lines += [f"COMPUTE {r} = s{y} / s{v}.", f"COMPUTE {z} = ({y} - {r} * {v}) / s{v}."]
    if not idx.pooled:
        for e in idx.elements:
            value = " + ".join(f"{_num(a)} * r{number[n]}" for n, a in e.criteria.items())
            lin = " + ".join(f"{_num(a)} * z{number[n]}" for n, a in e.criteria.items())
            lines += _wrapped(f"COMPUTE value_{e.id} =", [value + "."])
            lines += _wrapped(f"COMPUTE z_{e.id} =", [lin + "."])
    value = " + ".join(f"{_num(a)} * value_{e}" for e, a in idx.overall.items())
    lin = " + ".join(f"{_num(a)} * z_{e}" for e, a in idx.overall.items())
    lines += _wrapped("COMPUTE value_overall =", [value + "."])
    lines += _wrapped("COMPUTE z_overall =", [lin + "."])
    lines.append("EXECUTE.")
    estimator = "EQUAL_WOR" if spec.finite_population else "WR"
    design = "STRATA=stratum" + (" CLUSTER=psu" if spec.clustered else "")
    lines += [
        "",
        "CSPLAN ANALYSIS",
        f"  /PLAN FILE='{plan}'",
        "  /PLANVARS ANALYSISWEIGHT=weight",
        f"  /DESIGN {design}",
        f"  /ESTIMATOR TYPE={estimator}"
        + (" /POPSIZE VARIABLE=fpc." if spec.finite_population else "."),
        "",
        "* The values (the same on every case) and their SEs: the SE of the sum of z.",
        *_wrapped(
            "LIST VARIABLES=value_overall",
            [*(f"value_{e.id}" for e in idx.elements), "/CASES FROM 1 TO 1."],
        ),
        "CSDESCRIPTIVES",
        f"  /PLAN FILE='{plan}'",
        *_wrapped(
            "  /SUMMARY VARIABLES=z_overall", [*(f"z_{e.id}" for e in idx.elements), f"z1 TO z{k}"]
        ),
        "  /SUM",
        "  /STATISTICS SE.",
    ]
    return lines
