"""The corona imports against stand-in services in this process (real gRPC, no broker):
replayed keys, refused rows by column, --wait, the category look-up's fallbacks, the net
list, and the stack's first-start seeding of the net list."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
import pytest_asyncio
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from eportfolio.common.v1 import common_pb2
from eportfolio.intake.v1 import intake_pb2_grpc
from eportfolio.korona.v1 import korona_pb2, korona_pb2_grpc
from eportfolio.reporting.v1 import reporting_pb2, reporting_pb2_grpc
from portfolio_cli.korona_import import (
    NetListImportOptions,
    ProposalImportOptions,
    import_netlist,
    import_proposals,
)
from portfolio_cli.seeding import SeedAddresses, seed_once
from portfolio_cli.stack_config import SeedSpec

HEADER = (
    "received_at\tproposer\torganisation\torganisation_type\ttitle\tdescription"
    "\tcategory_code\ttarget_groups\n"
)
ROWS = [
    "2020-04-02T10:15\tKari\tOslo kommune\toffentlig\tVideo for fastleger\t\t03\tinnbyggere\n",
    "2020-04-03T10:15\tOla\tDips AS\tprivate\tSmittesporing\t\t13\tauthorities\n",
    "2020-04-04T10:15\tPer\t\t\tRefuse me\t\t03\tcitizens\n",
    "2020-04-05T10:15\tAnne\t\t\tUkjent kategori\t\t21\tcitizens\n",
    "i går\tAnne\t\t\tDårlig tid\t\t03\tcitizens\n",
    "2020-04-06T10:15\tLise\t\t\tKapasitet\t\t01\t\n",
    "2020-04-07T10:15\tLise\t\t\tInformasjon\t\t05\tmyndigheter\n",
]
CODES = ("01", "03", "05", "13")


def bad_request(field_name: str, description: str) -> grpc.Status:
    detail = any_pb2.Any()
    detail.Pack(
        error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(
                    field=field_name, description=description
                )
            ]
        )
    )
    status = status_pb2.Status(
        code=code_pb2.INVALID_ARGUMENT, message="bad request", details=[detail]
    )
    return rpc_status.to_status(status)


@dataclass
class Korona(korona_pb2_grpc.KoronaServiceServicer):
    """Holds what intake takes, after ``lag`` ListProposals calls; pages of 2 at most."""

    categories: tuple[str, ...] | None = CODES
    lag: int = 1
    never: bool = False
    pending: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    polls: int = 0
    net_list: dict[str, str] = field(default_factory=dict)
    roles: list[str] = field(default_factory=list)
    deny: bool = False

    async def ListCategories(self, request: Any, context: Any) -> Any:  # noqa: N802
        if self.categories is None:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, "not yet")
        return korona_pb2.ListCategoriesResponse(
            categories=[korona_pb2.Category(code=c, name=f"Kategori {c}") for c in self.categories]
        )

    async def ListProposals(self, request: Any, context: Any) -> Any:  # noqa: N802
        self.polls += 1
        if self.polls > self.lag and not self.never:
            self.held.extend(self.pending)
            self.pending.clear()
        start = int(request.page_token or 0)
        page = self.held[start : start + 2]
        following = start + 2
        return korona_pb2.ListProposalsResponse(
            proposals=[korona_pb2.ProposalSummary(proposal_id=p) for p in page],
            next_page_token=str(following) if following < len(self.held) else "",
            total=len(self.held),
        )

    async def ListNetList(self, request: Any, context: Any) -> Any:  # noqa: N802
        return korona_pb2.NetList(
            measures=[
                korona_pb2.NetListLine(proposal_id=pid, title=title)
                for title, pid in self.net_list.items()
            ]
        )

    async def AddToNetList(self, request: Any, context: Any) -> Any:  # noqa: N802
        self.roles.append(dict(context.invocation_metadata())["x-role"])
        if self.deny:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, "the net list is the office's")
        if "altfor langt" in request.title:
            await context.abort_with_status(bad_request("title", "is too long"))
        pid = self.net_list.setdefault(request.title, f"n-{len(self.net_list) + 1}")
        return korona_pb2.Proposal(proposal_id=pid, title=request.title)


@dataclass
class Intake(intake_pb2_grpc.IntakeServiceServicer):
    """Answers each key once; a retry with the key gets the first receipt, replayed."""

    korona: Korona
    receipts: dict[str, common_pb2.Receipt] = field(default_factory=dict)
    requests: list[Any] = field(default_factory=list)

    async def SubmitProposal(self, request: Any, context: Any) -> Any:  # noqa: N802
        self.requests.append(request)
        if request.title == "Refuse me":
            await context.abort_with_status(bad_request("target_groups[0]", "not for this"))
        if request.idempotency_key in self.receipts:
            first = self.receipts[request.idempotency_key]
            return common_pb2.Receipt(
                receipt_id=first.receipt_id, subject_id=first.subject_id, replayed=True
            )
        n = len(self.receipts) + 1
        receipt = common_pb2.Receipt(receipt_id=f"r-{n}", subject_id=f"p-{n}")
        self.receipts[request.idempotency_key] = receipt
        self.korona.pending.append(f"p-{n}")
        return receipt


@dataclass
class Reporting(reporting_pb2_grpc.ReportingServiceServicer):
    korona: Korona

    async def GetKoronaReport(self, request: Any, context: Any) -> Any:  # noqa: N802
        return reporting_pb2.KoronaReport(total=len(self.korona.held))


@dataclass
class Services:
    address: str
    korona: Korona
    intake: Intake


@pytest_asyncio.fixture
async def services() -> AsyncIterator[Services]:
    korona = Korona()
    intake = Intake(korona)
    server = grpc.aio.server()
    korona_pb2_grpc.add_KoronaServiceServicer_to_server(korona, server)
    intake_pb2_grpc.add_IntakeServiceServicer_to_server(intake, server)
    reporting_pb2_grpc.add_ReportingServiceServicer_to_server(Reporting(korona), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield Services(f"127.0.0.1:{port}", korona, intake)
    await server.stop(None)


def options(services: Services, file: Path, **changes: Any) -> ProposalImportOptions:
    fields: dict[str, Any] = {
        "file": file,
        "intake": services.address,
        "korona": services.address,
        "reporting": services.address,
        "wait": True,
        "timeout_s": 5.0,
        "poll_s": 0.01,
    }
    fields.update(changes)
    return ProposalImportOptions(**fields)


@pytest.fixture
def proposals(tmp_path: Path) -> Path:
    path = tmp_path / "forslag.tsv"
    path.write_text(HEADER + "".join(ROWS), encoding="utf-8")
    return path


async def test_good_rows_are_taken_bad_ones_named_and_waited_for(
    services: Services, proposals: Path
) -> None:
    outcome = await import_proposals(options(services, proposals))
    assert outcome.problem is None
    assert outcome.waited
    assert outcome.categories_from == f"korona at {services.address}"
    assert [t.row.line for t in outcome.taken] == [2, 3, 7, 8]
    assert [t.proposal_id for t in outcome.taken] == ["p-1", "p-2", "p-3", "p-4"]
    assert [(e.line, e.column) for e in outcome.errors] == [
        (4, "target_groups"),
        (5, "category_code"),
        (6, "received_at"),
    ]
    assert outcome.errors[0].reason == "not for this"
    assert outcome.summary() == "7 rows: 4 proposals taken (0 sent before), 3 refused"
    assert not outcome.ok
    assert services.korona.held == ["p-1", "p-2", "p-3", "p-4"]
    sent = services.intake.requests[0]
    assert sent.received_at == "2020-04-02T10:15:00+02:00"
    assert list(sent.target_groups) == ["citizens"]


async def test_importing_the_same_file_again_changes_nothing(
    services: Services, proposals: Path
) -> None:
    await import_proposals(options(services, proposals))
    again = await import_proposals(options(services, proposals))
    assert again.problem is None
    assert (len(again.taken), again.replayed, again.new) == (4, 4, 0)
    assert len(services.intake.receipts) == 4
    assert len(services.korona.held) == 4


async def test_the_wait_gives_up_after_the_timeout_and_says_how_many_are_missing(
    services: Services, proposals: Path
) -> None:
    services.korona.never = True
    outcome = await import_proposals(options(services, proposals, timeout_s=0.2))
    assert outcome.problem is not None
    assert "timed out after 0.2 s waiting for korona" in outcome.problem
    assert "4 of 4 not there yet (p-1, p-2, p-3, p-4)" in outcome.problem
    assert not outcome.ok


async def test_without_korona_categories_the_shared_file_then_the_shape_is_checked(
    services: Services, proposals: Path, tmp_path: Path
) -> None:
    services.korona.categories = None
    shared = tmp_path / "shared"
    (shared / "data").mkdir(parents=True)
    (shared / "data" / "korona-categories-2020-05-05.tsv").write_text(
        "code\tcategory\tproposals_2020_05_05\n03\tVideo\t35\n13\tSmittesporing\t26\n"
        "01\tStyring\t5\n05\tInformasjon\t28\n",
        encoding="utf-8",
    )
    from_file = await import_proposals(options(services, proposals, wait=False, shared=shared))
    assert "korona-categories-*.tsv" in from_file.categories_from
    assert [(e.line, e.column) for e in from_file.errors if e.column == "category_code"] == [
        (5, "category_code")
    ]
    shape = await import_proposals(options(services, proposals, wait=False, shared=None))
    assert shape.categories_from == "the shape of the codes only"
    assert not [e for e in shape.errors if e.column == "category_code"]


async def test_an_unreachable_intake_is_one_problem_not_an_error_per_row(
    services: Services, proposals: Path
) -> None:
    outcome = await import_proposals(
        options(services, proposals, intake="127.0.0.1:1", connect_timeout_s=0.2)
    )
    assert outcome.problem is not None
    assert outcome.problem.startswith("cannot reach the intake service at 127.0.0.1:1")
    assert outcome.taken == []
    assert len(outcome.errors) == 2  # the rows the file's rules refused


NETLIST = (
    "name\tdescribed_in\tnotes_from_source\n"
    "Smittestopp\t000\tApp\n"
    "Sykdomspuls\t001\t\n"
    "Et navn som er altfor langt for denne tjenesten her\t003\t\n"
)


async def test_the_net_list_is_added_once_by_title(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "nettoliste.tsv"
    path.write_text(NETLIST, encoding="utf-8")
    first = await import_netlist(NetListImportOptions(path, services.address))
    assert [(a.row.title, a.proposal_id, a.new) for a in first.added] == [
        ("Smittestopp", "n-1", True),
        ("Sykdomspuls", "n-2", True),
    ]
    assert [(e.line, e.column, e.reason) for e in first.errors] == [(4, "name", "is too long")]
    assert set(services.korona.roles) == {"office"}
    again = await import_netlist(NetListImportOptions(path, services.address))
    assert [a.new for a in again.added] == [False, False]
    assert again.summary() == "3 rows: 2 measures on the net list (0 new), 1 refused"


def a_seed(tmp_path: Path, shared_dir: Path) -> SeedSpec:
    return SeedSpec(
        file=shared_dir / "data" / "portfolio-2020-03.tsv",
        period="2020-03",
        marker=tmp_path / "var" / "seeded-2020-03",
    )


async def test_a_stack_seeded_before_the_net_list_gets_it_at_its_next_start(
    services: Services, tmp_path: Path, shared_dir: Path
) -> None:
    seed = a_seed(tmp_path, shared_dir)
    seed.marker.parent.mkdir(parents=True)
    seed.marker.write_text("seeded before\n", encoding="utf-8")
    assert seed.netlist_file == shared_dir / "data" / "korona-nettoliste-2020.tsv"
    assert seed.netlist_marker == tmp_path / "var" / "seeded-korona-nettoliste-2020"
    assert not seed.done
    said: list[str] = []
    at = SeedAddresses(
        intake="127.0.0.1:1", assessment="127.0.0.1:1", korona=services.address, reporting=""
    )
    assert await seed_once(seed, at, said.append)
    assert said == [
        "seeding korona-nettoliste-2020.tsv: 18 rows: 18 measures on the net list (18 new),"
        " 0 refused"
    ]
    assert seed.done
    assert len(services.korona.net_list) == 18
    said.clear()
    assert await seed_once(seed, at, said.append)
    assert said == []


async def test_a_failed_net_list_is_tried_again_and_never_says_seeding_done(
    services: Services, tmp_path: Path, shared_dir: Path
) -> None:
    services.korona.deny = True
    seed = a_seed(tmp_path, shared_dir)
    seed.marker.parent.mkdir(parents=True)
    seed.marker.write_text("seeded before\n", encoding="utf-8")
    said: list[str] = []
    at = SeedAddresses(intake="", assessment="", korona=services.address, reporting="")
    assert not await seed_once(seed, at, said.append)
    assert said[0].endswith(
        "korona-nettoliste-2020.tsv:2: AddToNetList failed: PERMISSION_DENIED:"
        " the net list is the office's"
    )
    assert not seed.netlist_marker.exists()
    assert said[-1] == (
        "seeding the corona net list failed (see above); it will be tried again at next start"
    )
    assert not any("seeding done" in line for line in said)
