"""The read-only report pages as a WSGI application, on the read model the projections build."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest

from reporting.adapters.web import ReportPages, parse_query
from reporting.store import ReadModelStore

TODAY = date(2024, 7, 1)


@pytest.fixture
def portfolio(feed: Any, registered: Any, recorded: Any, proposal: Any) -> None:
    feed(registered(1, "helsedir", "2023-01"), registered(2, "nhn", "2024-01"))
    feed(
        recorded(1, "2024-01", "green", "green", {2024: 100_000_000}),
        recorded(1, "2024-03", "red", "yellow", {2024: 150_000_000}, explanation="Forsinket"),
        recorded(2, "2024-03", "yellow", "yellow", {2024: 50_000_000}),
    )
    feed(proposal("p-1", "A1"), proposal("p-2", "A1"), proposal("p-3", "B2"))


class Response:
    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = int(status.split(maxsplit=1)[0])
        self.headers = dict(headers)
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode()


def get(pages: ReportPages, path: str, query: str = "", method: str = "GET") -> Response:
    environ: dict[str, Any] = {
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "REQUEST_METHOD": method,
        "wsgi.input": io.BytesIO(),
    }
    setup_testing_defaults(environ)
    started: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        started.update(status=status, headers=headers)

    body = b"".join(pages(environ, start_response))
    return Response(started["status"], started["headers"], body)


@pytest.fixture
def pages(memory_store: ReadModelStore) -> ReportPages:
    return ReportPages(memory_store, today=lambda: TODAY)


@pytest.mark.usefixtures("portfolio")
def test_the_front_page_is_the_newest_periods_report_with_pickers(pages: ReportPages) -> None:
    page = get(pages, "/")
    assert page.status == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<html lang="nb">' in page.text
    assert "mars 2024" in page.text  # the newest period reported
    assert '<option value="2024-03" selected>' in page.text
    assert '<option value="2024-01">' in page.text
    assert 'type="datetime-local"' in page.text
    assert "Forsinket" in page.text  # the red one with its explanation
    assert "<script" not in page.text  # read-only, no scripts
    assert page.headers["Cache-Control"] == "no-store"


@pytest.mark.usefixtures("portfolio")
def test_a_reader_picks_a_period_and_a_moment(pages: ReportPages) -> None:
    january = get(pages, "/portfolio", "period=2024-01")
    assert '<option value="2024-01" selected>' in january.text
    assert "januar 2024" in january.text
    # Norwegian time without a zone: the recorded reports are dated after it.
    before = get(pages, "/", "period=2024-03&as_of=2020-01-01T00:00")
    assert before.status == 200
    assert 'value="2020-01-01T00:00"' in before.text
    data = json.loads(get(pages, "/", "period=2024-03&as_of=2020-01-01T00:00&format=json").text)
    assert data["measure_count"] == 0
    assert data["as_of"] == "2019-12-31T23:00:00+00:00"


@pytest.mark.usefixtures("portfolio")
def test_the_page_offers_the_same_report_as_files(pages: ReportPages) -> None:
    data = json.loads(get(pages, "/", "period=2024-03&format=json").text)
    assert data["measure_count"] == 2
    assert data["budget_total_mnok"] == 200
    pdf = get(pages, "/", "period=2024-03&format=pdf")
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.body.startswith(b"%PDF")
    assert 'filename="porteforljerapport-2024-03.pdf"' in pdf.headers["Content-Disposition"]
    xlsx = get(pages, "/", "period=2024-03&format=xlsx")
    assert xlsx.body[:2] == b"PK"
    csv = get(pages, "/", "period=2024-03&format=csv")
    assert csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert csv.text.count("\n") == 3  # header and two measures
    page = get(pages, "/", "period=2024-03&as_of=2024-06-01T12:00&axis=recorded")
    assert "format=pdf" in page.text
    assert "as_of=2024-06-01T10%3A00%3A00%2B00%3A00" in page.text  # the links keep the moment
    assert "axis=recorded" in page.text


@pytest.mark.usefixtures("portfolio")
def test_the_korona_page_counts_proposals_by_category(pages: ReportPages) -> None:
    page = get(pages, "/korona")
    assert page.status == 200
    assert 'aria-current="page">Koronaporteføljen' in page.text
    data = json.loads(get(pages, "/korona", "format=json").text)
    assert data["total"] == 3
    assert [(c["code"], c["proposals"]) for c in data["by_category"]] == [("A1", 2), ("B2", 1)]


def test_the_korona_page_shows_states_net_list_envelope_and_feedback(
    pages: ReportPages, feed: Any, korona: Any
) -> None:
    received = datetime(2020, 4, 20, 8, 0, tzinfo=UTC)
    feed(
        korona.registered("p-1", "03", received, category_name="Video", title="Video"),
        korona.registered("p-2", "12", received, category_name="Infeksjonsovervåking"),
        at=received,
    )
    later = datetime(2020, 4, 22, 8, 0, tzinfo=UTC)
    feed(korona.routed("p-1"), korona.assessed("p-1"), korona.decided("p-1"), at=later)
    feed(
        korona.status("p-1", "being_introduced", "Norsk Helsenett"),
        korona.feedback("p-1"),
        at=later,
    )
    feed(korona.opened(80_000_000), korona.funding("allocate", "p-1", 12_500_000), at=later)
    page = get(pages, "/korona")
    assert page.status == 200
    for heading in (
        "Forslag per kategori",
        "Forslagenes behandling",
        "Nettolisten",
        "Midler til tiltakene",
        "Tilbakemelding til forslagsstillerne",
    ):
        assert heading in page.text
    assert "Under innføring" in page.text and "Infeksjonsovervåking" in page.text
    data = json.loads(get(pages, "/korona", "format=json").text)
    assert data["by_category"][1] == {
        "code": "12",
        "category": "Infeksjonsovervåking",
        "proposals": 1,
    }
    assert data["funding"]["left_mnok"] == 67.5
    assert data["net_list"][0]["implementation_status"] == "being_introduced"
    assert (data["awaiting_feedback"], data["median_days_to_feedback"]) == (1, 2)
    before = json.loads(get(pages, "/korona", "as_of=2020-04-01T00:00&format=json").text)
    assert (before["total"], before["net_list"]) == (0, [])
    assert get(pages, "/korona", "format=pdf").body.startswith(b"%PDF")
    assert get(pages, "/korona", "format=xlsx").body[:2] == b"PK"
    csv = get(pages, "/korona", "format=csv").text
    assert "Video;Norsk Helsenett;03;Under innføring;12,5;0;0" in csv


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("period=2024-13", "rapporteringsperiode"),
        ("as_of=yesterday", "tidspunkt"),
        ("axis=sideways", "Tidsaksen"),
        ("format=docx", "Formatet"),
    ],
)
def test_bad_parameters_get_a_clear_answer_not_a_trace(
    pages: ReportPages, query: str, says: str
) -> None:
    page = get(pages, "/", query)
    assert page.status == 400
    assert says in page.text
    assert "Traceback" not in page.text


def test_the_pages_only_read(pages: ReportPages) -> None:
    post = get(pages, "/", method="POST")
    assert post.status == 405
    assert post.headers["Allow"] == "GET, HEAD"
    assert get(pages, "/admin").status == 404
    head = get(pages, "/", "period=2024-03", method="HEAD")
    assert head.status == 200
    assert head.body == b""
    assert int(head.headers["Content-Length"]) > 1000


def test_a_failing_read_model_is_a_polite_503(memory_store: ReadModelStore) -> None:
    class Broken:
        def query(self, *_: Any) -> Any:
            raise RuntimeError("database gone")

    page = get(ReportPages(Broken(), today=lambda: TODAY), "/")  # type: ignore[arg-type]
    assert page.status == 503
    assert "Prøv igjen" in page.text
    assert "database gone" not in page.text


def test_parse_query_takes_the_last_value_and_defaults() -> None:
    q = parse_query("period=2024-01&period=2024-02")
    assert (q.period, q.moment, q.recorded, q.fmt.value) == ("2024-02", None, False, "html")
    assert parse_query("as_of=2024-01-01T00:00:00Z").moment is not None
