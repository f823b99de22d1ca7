"""One prolog guard for both XES roads: a DTD or entity declaration is refused wherever it hides, in any encoding,
with the same file, line and reason on the bulk road as on the streaming road; real logs still import."""

from __future__ import annotations

import codecs
import gzip
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from momentos.errors import ImportFailed
from momentos.imports.readers import ImportOptions
from momentos.imports.readers.xml_guard import REFUSED
from momentos.imports.service import import_file
from tests.conftest import DATA, OrgHandle
from tests.events.test_xes_import import BILLION_LAUGHS, EXTERNAL_ENTITY, NS, counts, event, trace
from tests.factories import REACTIONS, make_service

DECLARATION = '<?xml version="1.0" encoding="{encoding}"?>\n'
BODY = f'<log {NS}>\n{trace("&lol3;&secret;", event("x", "2024-01-01T00:00:00Z"))}\n</log>\n'
ROADS = {"bulk": ImportOptions(), "streaming": ImportOptions(bulk=False)}

# (name, text before the DTD, the line the DTD is on)
HIDING_PLACES = [
    ("comment before", "<!-- <log> a comment that mentions an element -->\n", 3),
    ("pi before", "<?xml-stylesheet href='<x>'?>\n", 3),
    ("comment and pi", "<!-- c -->\n<?pi <b>?>\n<!-- <!DOCTYPE in a comment> -->\n", 5),
    ("nothing before", "", 2),
]


def _refusal(db: Session, org: OrgHandle, path: Path, road: str) -> ImportFailed:
    with pytest.raises(ImportFailed) as failure:
        import_file(db, org.id, path, ROADS[road], reactions=REACTIONS)
    assert counts(db, org.id) == (0, 0, 0)
    return failure.value


def _both_roads(db: Session, org: OrgHandle, path: Path) -> tuple[str | None, int | None, str]:
    """The refusal, which must be the same on both roads."""
    bulk, streaming = (_refusal(db, org, path, road) for road in ROADS)
    assert (bulk.file, bulk.line, bulk.reason) == (streaming.file, streaming.line, streaming.reason)
    return bulk.file, bulk.line, bulk.reason


@pytest.mark.parametrize("dtd", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"])
@pytest.mark.parametrize(("where", "before", "line"), HIDING_PLACES, ids=[h[0] for h in HIDING_PLACES])
def test_a_dtd_after_comments_or_pis_is_refused_on_both_roads(db: Session, org: OrgHandle, tmp_path: Path,
                                                              where: str, before: str, line: int, dtd: str) -> None:
    path = tmp_path / "log.xes"
    path.write_text(DECLARATION.format(encoding="UTF-8") + before + dtd + BODY, encoding="utf-8")
    assert _both_roads(db, org, path) == (str(path), line, REFUSED)


@pytest.mark.parametrize(("codec", "bom", "declared"), [
    ("utf-16-le", codecs.BOM_UTF16_LE, "UTF-16"), ("utf-16-be", codecs.BOM_UTF16_BE, "UTF-16"),
    ("utf-16-le", b"", "UTF-16LE"), ("utf-16-be", b"", "UTF-16BE"),
    ("utf-8", codecs.BOM_UTF8, "UTF-8"), ("utf-32-le", codecs.BOM_UTF32_LE, "UTF-32"),
    ("utf-32-be", codecs.BOM_UTF32_BE, "UTF-32"),
], ids=["utf16le-bom", "utf16be-bom", "utf16le", "utf16be", "utf8-bom", "utf32le-bom", "utf32be-bom"])
@pytest.mark.parametrize("gzipped", [False, True], ids=["plain", "gzip"])
def test_a_dtd_is_refused_in_every_encoding_with_its_line(db: Session, org: OrgHandle, tmp_path: Path, codec: str,
                                                          bom: bytes, declared: str, gzipped: bool) -> None:
    text = DECLARATION.format(encoding=declared) + "<!-- <x> -->\n" + EXTERNAL_ENTITY + BODY
    data = bom + text.encode(codec)
    path = tmp_path / ("log.xes.gz" if gzipped else "log.xes")
    path.write_bytes(gzip.compress(data) if gzipped else data)
    assert _both_roads(db, org, path) == (str(path), 3, REFUSED)


def test_a_dtd_in_utf7_is_refused(db: Session, org: OrgHandle, tmp_path: Path) -> None:
    """The declaration names the encoding the rest is read in: '+ADw-' is '<' in UTF-7."""
    path = tmp_path / "log.xes"
    path.write_bytes(b'<?xml version="1.0" encoding="UTF-7"?>\n+ADw-!DOCTYPE log SYSTEM "http://x/y.dtd"+AD4-\n'
                     + BODY.encode())
    assert _both_roads(db, org, path)[1:] == (2, REFUSED)


def test_text_before_the_root_element_is_refused(db: Session, org: OrgHandle, tmp_path: Path) -> None:
    path = tmp_path / "log.xes"
    path.write_text(DECLARATION.format(encoding="UTF-8") + "junk <!DOCTYPE log>\n" + BODY, encoding="utf-8")
    assert _both_roads(db, org, path)[1:] == (2, "invalid XML: content before the root element")


@pytest.mark.parametrize("bom", [b"", codecs.BOM_UTF8], ids=["no-bom", "utf8-bom"])
def test_a_log_with_comments_and_pis_but_no_dtd_imports(db: Session, org: OrgHandle, tmp_path: Path,
                                                        bom: bytes) -> None:
    path = tmp_path / "log.xes"
    body = f'<log {NS}>\n{trace("c1", event("a", "2024-01-01T00:00:00Z"), event("b", "2024-01-02T00:00:00Z"))}</log>'
    path.write_bytes(bom + (DECLARATION.format(encoding="UTF-8") + "<!-- <!DOCTYPE x> -->\n<?pi x?>\n" + body
                            ).encode())
    assert import_file(db, org.id, path, ImportOptions(), reactions=REACTIONS).accepted == 2


def test_a_utf16_log_without_a_dtd_imports(db: Session, org: OrgHandle, tmp_path: Path) -> None:
    path = tmp_path / "log.xes"
    body = f'<log {NS}>\n{trace("c1", event("a", "2024-01-01T00:00:00Z"))}</log>'
    path.write_bytes((DECLARATION.format(encoding="UTF-16") + body).encode("utf-16"))
    assert import_file(db, org.id, path, ImportOptions(bulk=False), reactions=REACTIONS).accepted == 1


@pytest.mark.parametrize("name", ["running-example.xes", "roadtraffic_100traces.xes", "helpdesk.xes.gz",
                                  "receipt_coselog.xes.gz"])
def test_the_real_logs_pass_the_guard(db: Session, org: OrgHandle, name: str) -> None:
    make_service(db, org.id, key="journey", touchpoints={})
    assert import_file(db, org.id, DATA / name, ImportOptions(), reactions=REACTIONS).accepted > 0
