"""The committee's editable Word brief (brief.docx), written from the §7 JSON document."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from docx import Document as new_document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import _Cell

from grader.render.committee import (
    DOMAIN_LABELS,
    DOMAINS,
    NOT_APPLICABLE,
    NOT_ASSESSED,
    UPGRADE_LABELS,
    Citation,
    Document,
    Domain,
    Position,
    checked_phrase,
    design_label,
    footnote_reason,
    letter,
    read_document,
    symbols,
    verdict_word,
    words,
)

SYMBOL_FONT = "DejaVu Sans"
"""Font of the ⊕/◯ runs: ships with LibreOffice and most Linux systems; Word falls back to
Segoe UI Symbol, and the level is always written in words beside the symbols."""
TABLE_STYLE = "Table Grid"
A4 = (Mm(210), Mm(297))
MARGIN = Mm(18)
SHADING = {"serious": "FCE4C4", "very_serious": "F6C6C6", NOT_ASSESSED: "E4E4E4"}
GREY = RGBColor(0x55, 0x55, 0x55)
SOFT_HYPHENATED = {"Inconsistency": "Incon\u00adsistency", "Indirectness": "Indirect\u00adness",
                   "Imprecision": "Impre\u00adcision",
                   "Publication bias": "Publi\u00adcation bias"}
SOF_COLUMNS = ("Study", "Design", "n",
               *(SOFT_HYPHENATED.get(DOMAIN_LABELS[d], DOMAIN_LABELS[d]) for d in DOMAINS),
               "Upgrades", "Certainty", "Finding")
SOF_WIDTHS_MM = (28, 26, 14, 19, 19, 19, 19, 19, 20, 24, 54)  # landscape A4, 261 mm wide
GLANCE_COLUMNS = ("#", "Claim", "Advocate", "Verdict", "Certainty", "Best evidence")
GLANCE_WIDTHS_MM = (9, 50, 22, 33, 22, 38)  # portrait A4, 174 mm wide
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def docx_bytes(doc: dict, settings: dict, built: dt.date,
               source_date_epoch: int | None = None) -> bytes:
    """brief.docx for a §7 document; the same inputs give the same bytes."""
    data = read_document(doc)
    labels = settings.get("design_labels") or {}
    word = new_document()
    _base_styles(word)
    section = word.sections[0]
    _page(section, landscape=False)
    _front(word, data, settings, built)
    _glance(word, data, labels)
    if data.positions:
        section = word.add_section(WD_SECTION.NEW_PAGE)
        _page(section, landscape=True)
        word.add_heading("Positions", level=1)
        for number, position in enumerate(data.positions, start=1):
            _position_section(word, number, position, labels)
    section = word.add_section(WD_SECTION.NEW_PAGE)
    _page(section, landscape=False)
    _methods(word, data)
    _references(word, data)
    _table_text(word)
    _core_properties(word, settings, built, source_date_epoch)
    buffer = io.BytesIO()
    word.save(buffer)
    return _normalized_zip(buffer.getvalue())


# ---------------------------------------------------------------- layout helpers

TABLE_TEXT = "Table Text"


def _base_styles(word) -> None:
    normal = word.styles["Normal"]
    normal.font.size = Pt(9.5)
    normal.paragraph_format.space_after = Pt(3)
    cell = word.styles.add_style(TABLE_TEXT, WD_STYLE_TYPE.PARAGRAPH)
    cell.base_style = normal
    cell.font.size = Pt(8)
    cell.paragraph_format.space_after = Pt(1)


def _table_text(word) -> None:
    """Every paragraph of every table in the compact table style (straight on the XML:
    python-docx's cell accessors walk the whole table for each cell)."""
    style_id = word.styles[TABLE_TEXT].style_id
    for table in word.element.body.iter(qn("w:tbl")):
        for paragraph in table.iter(qn("w:p")):
            paragraph.get_or_add_pPr().style = style_id


def _page(section, landscape: bool) -> None:
    width, height = A4
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (height, width) if landscape else (width, height)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, MARGIN)


def _symbol_run(paragraph, text: str):
    run = paragraph.add_run(text)
    run.font.name = SYMBOL_FONT
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), SYMBOL_FONT)
    return run


def _certainty(paragraph, level: str) -> None:
    """⊕ symbols and the level in words; checked positions get words only."""
    marks = symbols(level)
    if marks:
        _symbol_run(paragraph, marks)
        paragraph.add_run(" ")
    paragraph.add_run(words(level))


def _shade(cell, fill: str) -> None:
    props = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    props.append(shading)


def _table(word, columns: tuple[str, ...], widths_mm: tuple[int, ...]):
    """A Word table with a bold header row that repeats on every page it spans."""
    table = word.add_table(rows=1, cols=len(columns))
    table.style = word.styles[TABLE_STYLE]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    header = table.rows[0]
    row_props = header._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    row_props.append(repeat)
    for cell, name in zip(_cells(header), columns, strict=True):
        cell.paragraphs[0].add_run(name).bold = True
        _shade(cell, "DCE6F0")
    for column, width in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(width)
    _widths(header, widths_mm)
    return table


def _cells(row) -> list[_Cell]:
    """A row's cells in O(columns); `row.cells` rebuilds the whole table's cell grid."""
    return [_Cell(tc, row.table) for tc in row._tr.tc_lst]


def _widths(row, widths_mm) -> list[_Cell]:
    cells = _cells(row)
    for cell, width in zip(cells, widths_mm, strict=True):
        cell.width = Mm(width)
    return cells


def _row(table, widths_mm) -> list[_Cell]:
    row = table.add_row()
    keep = OxmlElement("w:cantSplit")
    keep.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(keep)
    return _widths(row, widths_mm)


def _muted(paragraph, text: str):
    run = paragraph.add_run(text)
    run.font.color.rgb = GREY
    return run


# ---------------------------------------------------------------- page 1

def _front(word, data: Document, settings: dict, built: dt.date) -> None:
    word.add_heading(settings.get("title") or "Evidence brief", level=0)
    if settings.get("exchange"):
        word.add_paragraph().add_run(settings["exchange"]).italic = True
    source = " · ".join(x for x in (settings.get("journal"),
                                    f"doi:{settings['doi']}" if settings.get("doi") else "")
                        if x)
    if source:
        word.add_paragraph(source)
    provenance = word.add_paragraph()
    _muted(provenance, f"Built {built.isoformat()} from {data.input_path or 'the evidence file'}"
                       + (f" (sha256 {data.sha256[:12]})" if data.sha256 else "")
                       + f" with {data.rubric_name or 'the rubric'} "
                         f"version {data.rubric_version or '?'}. Certainty is shown as ")
    _symbol_run(provenance, "⊕").font.color.rgb = GREY
    _muted(provenance, " symbols and in words; “? not assessed” marks a domain that no rule or "
                       "judgment covered.")


def _best_text(paragraph, citation: Citation, labels: dict, side: str | None) -> None:
    if side:
        paragraph.add_run(f"{side}: ").bold = True
    paragraph.add_run(citation.study_id)
    n = f", n={citation.study.n:,}" if citation.study.n is not None else ""
    paragraph.add_run(f" ({design_label(citation.study.design, labels)}{n})")
    if citation.graded:
        paragraph.add_run(", ")
        _certainty(paragraph, citation.certainty)
    if citation.result:
        paragraph.add_run(f" — {citation.result}")


def _glance(word, data: Document, labels: dict) -> None:
    word.add_heading("Positions at a glance", level=1)
    if not data.positions:
        word.add_paragraph("The evidence file holds no positions.")
        return
    table = _table(word, GLANCE_COLUMNS, GLANCE_WIDTHS_MM)
    for number, p in enumerate(data.positions, start=1):
        cells = _row(table, GLANCE_WIDTHS_MM)
        cells[0].text = f"P{number}"
        cells[1].text = p.claim
        cells[2].text = p.advocate
        verdict = cells[3].paragraphs[0]
        verdict.add_run(verdict_word(p.verdict)).bold = True
        cells[3].add_paragraph(p.statement)
        if p.conceded_by:
            _muted(cells[3].add_paragraph(), f"conceded by {p.conceded_by}")
        certainty = cells[4].paragraphs[0]
        if p.checked:
            certainty.add_run(words(NOT_APPLICABLE))
        else:
            _certainty(certainty, p.certainty)
        best = p.best_evidence()
        if not best:
            _muted(cells[5].paragraphs[0], "only opinion cited" if not p.checked
                   else "no citation")
        two_sided = len(best) > 1
        for i, citation in enumerate(best):
            paragraph = cells[5].paragraphs[0] if i == 0 else cells[5].add_paragraph()
            side = ("For" if citation.stance == "supports" else "Against") if two_sided \
                else None
            _best_text(paragraph, citation, labels, side)


# ---------------------------------------------------------------- one section per position

def _position_section(word, number: int, p: Position, labels: dict) -> None:
    word.add_heading(f"P{number}. {p.claim}", level=2)
    facts = word.add_paragraph()
    facts.add_run("Advocate: ").bold = True
    facts.add_run(p.advocate)
    facts.add_run(" · Question: ").bold = True
    facts.add_run(p.question)
    if p.conceded_by:
        facts.add_run(" · Conceded by: ").bold = True
        facts.add_run(p.conceded_by)
    facts.paragraph_format.keep_with_next = True
    verdict = word.add_paragraph()
    verdict.paragraph_format.keep_with_next = True
    verdict.add_run(f"{verdict_word(p.verdict)}. ").bold = True
    verdict.add_run(p.statement + " ")
    if p.checked:
        phrase = checked_phrase(p)
        verdict.add_run("(No GRADE rating applies: a checked position is settled by its "
                        "sources.)" if phrase in p.statement else
                        f"({phrase}; no GRADE rating applies.)")
        _checked_table(word, p, labels)
    else:
        verdict.add_run("Certainty: ")
        _certainty(verdict, p.certainty)
        if p.leaning:
            verdict.add_run(f" · leaning: {p.leaning}")
        _sof_table(word, p, labels)
    _listed_apart(word, p, labels)


def _domain_cell(cell, domain: Domain, mark: str | None) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.add_run(domain.text)
    if mark:
        paragraph.add_run(mark).font.superscript = True
    if domain.source == "explicit":
        _muted(cell.add_paragraph(), "explicit")
    fill = NOT_ASSESSED if domain.not_assessed else domain.judgment
    if fill in SHADING:
        _shade(cell, SHADING[fill])


def _sof_table(word, p: Position, labels: dict) -> None:
    rows = [c for c in p.citations if c.graded and not c.study.retracted]
    if not rows and p.body is None:
        _muted(word.add_paragraph(), "No graded citation: only opinion is cited.")
        return
    table = _table(word, SOF_COLUMNS, SOF_WIDTHS_MM)
    notes: dict[str, str] = {}  # footnote text → letter; identical reasons share a letter

    def mark(text: str) -> str:
        if text not in notes:
            notes[text] = letter(len(notes))
        return notes[text]

    lower = set(p.lower_tier)
    for c in rows:
        cells = _row(table, SOF_WIDTHS_MM)
        study = cells[0].paragraphs[0]
        study.add_run(c.study_id).bold = True
        tags = [c.stance]
        if c.study_id in lower or c.in_body is False:
            tags.append("lower tier")
        if not c.cited_in_exchange:
            tags.append("added by the brief’s authors")
        _muted(cells[0].add_paragraph(), ", ".join(tags))
        cells[1].text = design_label(c.study.design, labels)
        cells[2].text = f"{c.study.n:,}" if c.study.n is not None else "—"
        for cell, name in zip(cells[3:8], DOMAINS, strict=True):
            domain = (c.domains or {}).get(name)
            if domain is None:
                cell.text = "—"
                continue
            _domain_cell(cell, domain, mark(footnote_reason(name, domain, c))
                         if domain.downgrade else None)
        _upgrade_cell(cells[8], c.upgrades, mark)
        _certainty(cells[9].paragraphs[0], c.certainty)
        if c.overstated and c.claimed_certainty:
            _muted(cells[9].add_paragraph(), f"claimed {words(c.claimed_certainty).lower()}"
                                             " (overstated)")
        cells[10].text = c.result or "—"
    if p.body is not None:
        cells = _row(table, SOF_WIDTHS_MM)
        head = cells[0].paragraphs[0]
        head.add_run("Body of evidence").bold = True
        _muted(cells[0].add_paragraph(), ", ".join(p.body.studies))
        cells[1].text = f"starts {words(p.body.start).lower()}" if p.body.start else ""
        total = sum(c.study.n for c in rows if c.study_id in p.body.studies and
                    c.study.n is not None)
        cells[2].text = f"{total:,}" if total else "—"
        for cell, name in zip(cells[3:8], DOMAINS, strict=True):
            domain = (p.body.domains or {}).get(name)
            if domain is None:
                cell.text = "—"
                continue
            _domain_cell(cell, domain, mark(footnote_reason(name, domain, None))
                         if domain.downgrade else None)
        _upgrade_cell(cells[8], p.body.upgrades, mark)
        certainty = cells[9].paragraphs[0]
        _certainty(certainty, p.certainty)
        for run in certainty.runs:
            run.bold = True
        cells[10].text = p.statement
    for text, key in notes.items():
        paragraph = word.add_paragraph()
        paragraph.paragraph_format.space_after = Pt(1)
        paragraph.add_run(key).font.superscript = True
        paragraph.add_run(f" {text}")


def _upgrade_cell(cell, upgrades, mark) -> None:
    if upgrades is None:
        cell.text = "—"
        return
    paragraph = cell.paragraphs[0]
    paragraph.add_run(upgrades.text)
    if upgrades.withheld:
        reason = upgrades.reason or "an upgrade is not applied when a domain is rated down"
        names = ", ".join(UPGRADE_LABELS.get(u, u.replace("_", " ")) for u in upgrades.withheld)
        paragraph.add_run(mark(f"Upgrade withheld ({names}): {reason}")).font.superscript = True


CHECKED_COLUMNS = ("Study", "Design", "Stance", "Finding")
CHECKED_WIDTHS_MM = (40, 50, 30, 141)


def _checked_table(word, p: Position, labels: dict) -> None:
    rows = [c for c in p.citations if not c.study.retracted]
    if not rows:
        _muted(word.add_paragraph(), "No citation checks this position.")
        return
    table = _table(word, CHECKED_COLUMNS, CHECKED_WIDTHS_MM)
    for c in rows:
        cells = _row(table, CHECKED_WIDTHS_MM)
        cells[0].paragraphs[0].add_run(c.study_id).bold = True
        cells[1].text = design_label(c.study.design, labels)
        cells[2].text = c.stance
        cells[3].text = c.result or c.characterization or "—"


def _listed_apart(word, p: Position, labels: dict) -> None:
    """Opinion, retracted studies and overstated characterizations, below the table."""
    by_id = {c.study_id: c for c in p.citations}

    def named(ids: list[str]) -> str:
        return "; ".join(f"{sid} ({design_label(by_id[sid].study.design, labels)}, "
                         f"{by_id[sid].stance})" if sid in by_id else sid for sid in ids)

    opinion = p.not_rated or [c.study_id for c in p.citations if c.certainty == "not_rated"
                              and not c.study.retracted]
    if opinion and not p.checked:
        line = word.add_paragraph()
        line.add_run("Not rated (opinion, ineligible for GRADE): ").bold = True
        line.add_run(named(opinion))
    if p.retracted:
        line = word.add_paragraph()
        line.add_run("Retracted, listed and never counted: ").bold = True
        line.add_run(named(p.retracted))
    for c in p.citations:
        if c.overstated and not p.checked:
            line = word.add_paragraph()
            line.add_run("Claimed versus graded: ").bold = True
            claimed = words(c.claimed_certainty).lower()
            line.add_run(f"{c.study_id} is described as “{c.characterization}”, implying "
                         f"{claimed} certainty; graded " if c.characterization else
                         f"{c.study_id} is cited as {claimed}-certainty evidence; graded ")
            _certainty(line, c.certainty)
            line.add_run(".")


# ---------------------------------------------------------------- methods and references

def _methods(word, data: Document) -> None:
    word.add_heading("Methods", level=1)
    word.add_paragraph(
        f"Rubric: {data.rubric_name or 'not named'}, version {data.rubric_version or '?'}. "
        "Each citation (a study as evidence for one position) is graded as certainty = start − "
        "downgrades + upgrades, kept within very low…high: the start comes from the study "
        "design (and the question), each of the five domains (risk of bias, inconsistency, "
        "indirectness, imprecision, publication bias) rates down one level when serious and "
        "two when very serious, and large effect, dose–response and plausible confounding "
        "rate up designs that start below high.")
    if data.version >= 2:
        word.add_paragraph(
            "A graded position is rated on its body of evidence: its counted citations of the "
            "highest tier (opinion and retracted studies are never counted; lower-tier "
            "citations are listed with their own grade). The body's judgments follow the "
            "share of the body's weight that carries them; certainty = the body's start − its "
            "downgrades + its upgrades. Fact and definition positions are checked against "
            "their sources, not graded.")
    else:
        word.add_paragraph("A position takes the certainty of its best citation on the side "
                           "of its verdict.")
    word.add_paragraph("The PDF brief's Methods page, generated from the rubric file, lists "
                       "each design's start and every rule with its reason.")
    cites = [c for c in data.citations if c.domains]
    counts = {"explicit": 0, "derived": 0, NOT_ASSESSED: 0}
    for c in cites:
        for domain in c.domains.values():  # type: ignore[union-attr]
            counts[domain.source] = counts.get(domain.source, 0) + 1
    word.add_paragraph(
        f"Domain judgments in this brief: {counts['explicit']:,} explicit (from the evidence "
        f"table, which always wins), {counts['derived']:,} derived by the rubric's rules (each "
        f"with its reason as a footnote), {counts[NOT_ASSESSED]:,} not assessed (shown as "
        "“? not assessed”, never as “not serious”; no downgrade in the arithmetic).")
    legend = word.add_paragraph()
    legend.add_run("Levels: ")
    for i, level in enumerate(("high", "moderate", "low", "very_low")):
        if i:
            legend.add_run(" · ")
        _certainty(legend, level)
    legend.add_run(" · — Not rated (opinion).")


def _references(word, data: Document) -> None:
    word.add_heading("References", level=1)
    for number, study in enumerate(sorted(data.studies.values(),
                                          key=lambda s: s.study_id.lower()), start=1):
        paragraph = word.add_paragraph()
        paragraph.paragraph_format.left_indent = Mm(8)
        paragraph.paragraph_format.first_line_indent = Mm(-8)
        paragraph.add_run(f"{number}. ")
        paragraph.add_run(study.study_id).bold = True
        paragraph.add_run(f". {study.citation}")
        if study.doi:
            paragraph.add_run(f" doi:{study.doi}")
        if study.retracted:
            paragraph.add_run(" [retracted]").bold = True


# ---------------------------------------------------------------- reproducible bytes

def _core_properties(word, settings: dict, built: dt.date, epoch: int | None) -> None:
    moment = (dt.datetime.fromtimestamp(epoch, dt.UTC) if epoch is not None
              else dt.datetime.combine(built, dt.time(0), dt.UTC))
    props = word.core_properties
    props.title = settings.get("title") or "Evidence brief"
    props.subject = settings.get("exchange") or ""
    props.author = "grader"
    props.last_modified_by = "grader"
    props.comments = ""
    props.keywords = "GRADE; evidence brief"
    props.language = settings.get("language") or "en"
    props.revision = 1
    props.created = moment.replace(tzinfo=None)
    props.modified = moment.replace(tzinfo=None)
    props.last_printed = moment.replace(tzinfo=None)


def _normalized_zip(data: bytes) -> bytes:
    """Rewrite the package: fixed timestamps, fixed member order, fixed attributes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    names = source.namelist()
    order = ["[Content_Types].xml"] + sorted(n for n in names if n != "[Content_Types].xml")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0o600 << 16
            target.writestr(info, source.read(name), compresslevel=6)
    return out.getvalue()
