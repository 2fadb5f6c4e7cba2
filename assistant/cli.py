"""The `policyqa` command: a thin shell over PolicyService."""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated, Any, NoReturn, ParamSpec

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from assistant.config import Settings
from assistant.errors import PolicyQAError
from assistant.ingest.loaders import escape_controls
from assistant.service import PolicyService
from assistant.types import (
    HEADING_SEPARATOR,
    Answer,
    EligibilityResult,
    MeasureResult,
    Mode,
    Profile,
    within_document,
)

app = typer.Typer(
    help="Question answering over industrial-policy documents.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)
P = ParamSpec("P")
PLUGIN_GROUP = "policyqa.commands"


def _settings() -> Settings:
    try:
        settings = Settings()
    except Exception as exc:  # pydantic's ValidationError names the bad variable
        console.print(f"[red]invalid settings:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    logging.basicConfig(level=settings.log_level)
    return settings


def open_service() -> PolicyService:
    """The service for a command, from the environment's settings (commands that plugins
    add use it too)."""
    return PolicyService.create(_settings())


def _fail(exc: PolicyQAError) -> NoReturn:
    # Messages can quote a file name or manifest text: markup in them is shown, not applied.
    console.print(f"[red]error ({exc.code}):[/red] {escape(exc.message)}")
    raise typer.Exit(1)


def command(
    name: str | None = None,
) -> Callable[[Callable[P, None]], Callable[P, None]]:
    """`app.command`, with the core's errors turned into a user error at this edge: the
    message and the code, exit status 1, never a traceback."""

    def register(function: Callable[P, None]) -> Callable[P, None]:
        @functools.wraps(function)
        def run(*args: P.args, **kwargs: P.kwargs) -> None:
            try:
                function(*args, **kwargs)
            except PolicyQAError as exc:
                _fail(exc)

        app.command(name)(run)
        return run

    return register


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _parse_filters(values: list[str] | None) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            console.print(f"[red]--filter expects key=value, got {item!r}[/red]")
            raise typer.Exit(2)
        filters.setdefault(key.strip(), []).append(value.strip())
    return {k: v[0] if len(v) == 1 else v for k, v in filters.items()}


@command()
def ingest(
    corpus: Annotated[Path | None, typer.Option(help="Corpus folder (default: corpus/).")] = None,
    rebuild: Annotated[
        bool, typer.Option(help="Re-embed everything, e.g. after a model change.")
    ] = False,
) -> None:
    """Build or update the index from the corpus folder."""
    service = open_service()
    labels = {"load": "Reading documents", "embed": "Embedding clauses", "write": "Writing index"}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(labels.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        report = service.ingest(corpus, rebuild=rebuild, progress=progress)

    def literal(text: str) -> str:
        # File names are data: neither markup nor a line break in one may act on the output.
        return escape(escape_controls(text))

    for warning in report.warnings:
        console.print(f"[yellow]warning:[/yellow] {literal(warning)}")
    for source, reason in report.failed.items():
        console.print(f"[red]skipped {literal(source)}:[/red] {literal(reason)}")
    state = "updated" if report.changed else "already up to date"
    typer.echo(
        f"Index {state}: {report.documents} documents, {report.clauses} clauses "
        f"(added {len(report.added)}, updated {len(report.updated)}, "
        f"unchanged {len(report.unchanged)}, removed {len(report.removed)}, "
        f"failed {len(report.failed)}); embedded {report.embedded_clauses} clauses in "
        f"{report.seconds:.1f} s ({report.clauses_per_second:.0f} clauses/s); "
        f"version {report.version}"
    )


@command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for, in Chinese or English.")],
    top_k: Annotated[int, typer.Option("--top-k", "-k", help="How many clauses.")] = 5,
    filter: Annotated[
        list[str] | None,
        typer.Option(
            "--filter", help="key=value on doc_id, level, region, status, language, official."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Find the clauses that best match a query (hybrid dense + keyword retrieval)."""
    service = open_service()
    hits = service.search(query, top_k, _parse_filters(filter))
    if as_json:
        _print_json([hit.to_dict() for hit in hits])
        return
    for rank, hit in enumerate(hits, start=1):
        c = hit.chunk
        badge = "" if hit.official else " [illustrative]"
        status = "" if hit.status == "in_force" else f" [{hit.status}]"
        typer.echo(
            f"{rank}. {c.clause_id}  (score {hit.score:.4f}, page {c.page}, "
            f"chars {c.start}-{c.end}){badge}{status}"
        )
        typer.echo(f"   {c.heading_path}")
        quote = " ".join(c.text.split())
        typer.echo(f"   “{quote[:300]}{'…' if len(quote) > 300 else ''}”\n")


def _print_answer(answer: Answer) -> None:
    typer.echo(answer.answer)
    if answer.note and answer.answered:
        typer.echo(f"\n({answer.note})")
    if answer.citations:
        typer.echo("\nSources:")
    for c in answer.citations:
        flags = "" if c.official else " [illustrative]"
        flags += "" if c.status == "in_force" else f" [{c.status}]"
        where = within_document(c.heading_path)
        typer.echo(f"[{c.n}] {c.doc_title}{HEADING_SEPARATOR}{where}{flags}")
        typer.echo(f"    {c.clause_id}, page {c.page}, chars {c.start}-{c.end}")
    typer.echo(f"\n[{answer.mode}; machine-generated from the cited text, check the sources]")


@command()
def ask(
    question: Annotated[
        str | None, typer.Argument(help="The question (omit with --batch).")
    ] = None,
    top_k: Annotated[int | None, typer.Option("--top-k", "-k", help="Clauses to retrieve.")] = None,
    filter: Annotated[
        list[str] | None,
        typer.Option(
            "--filter", help="key=value on doc_id, level, region, status, language, official."
        ),
    ] = None,
    mode: Annotated[str | None, typer.Option(help="extractive (default) or generative.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the typed answer as JSON.")
    ] = False,
    batch: Annotated[
        str | None,
        typer.Option(
            "--batch", help="File with one question a line ('-' for stdin); prints JSON lines."
        ),
    ] = None,
) -> None:
    """Answer a question from the corpus, citing the exact clauses, or say it cannot."""
    if mode not in (None, "extractive", "generative"):
        console.print("[red]--mode must be extractive or generative[/red]")
        raise typer.Exit(2)
    if (question is None) == (batch is None):
        console.print("[red]give a QUESTION or --batch FILE[/red]")
        raise typer.Exit(2)
    service = open_service()
    filters = _parse_filters(filter)
    chosen: Mode | None = (
        None if mode is None else ("generative" if mode == "generative" else "extractive")
    )
    if batch is not None:
        handle = sys.stdin if batch == "-" else open(batch, encoding="utf-8")  # noqa: SIM115
        with handle:
            for line in handle:
                if not line.strip():
                    continue
                try:
                    result: dict[str, Any] = service.ask(
                        line.strip(), top_k, filters, mode=chosen
                    ).model_dump(mode="json")
                except PolicyQAError as exc:
                    result = {"question": line.strip(), "error": exc.code, "message": exc.message}
                sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
                sys.stdout.flush()
        return
    assert question is not None
    answer = service.ask(question, top_k, filters, mode=chosen)
    if as_json:
        _print_json(answer.model_dump(mode="json"))
    else:
        _print_answer(answer)


@command()
def eligibility(
    profile: Annotated[
        Path | None, typer.Option(help="JSON file with the enterprise profile.")
    ] = None,
    question: Annotated[
        str | None, typer.Option(help="The enterprise, described in words.")
    ] = None,
    include_unmet: Annotated[
        bool, typer.Option("--unmet", help="Also list ruled-out measures.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Which measures apply to us? Met, unknown (information missing) and ruled-out measures."""
    if (profile is None) == (question is None):
        console.print("[red]give --profile FILE or --question TEXT[/red]")
        raise typer.Exit(2)
    service = open_service()
    try:
        parsed = Profile.model_validate_json(profile.read_text("utf-8")) if profile else None
    except (OSError, ValueError) as exc:
        console.print(f"[red]cannot read the profile: {exc}[/red]")
        raise typer.Exit(2) from exc
    result = service.eligibility(parsed, question, include_unmet)
    if as_json:
        _print_json(result.model_dump(mode="json"))
        return
    typer.echo(eligibility_table(result))


_STATUS_LABEL = {"met": "MET", "unknown": "CONFIRM", "unmet": "UNMET"}
# Columns of the eligibility table, in terminal cells: status, clause, measure, amount, why.
_COLUMNS = (7, 26, 28, 12)


def _fit(text: str, cells: int) -> str:
    """`text` cut and padded to `cells` terminal cells (a CJK character takes two)."""
    text = " ".join(text.split())
    if cell_len(text) > cells:
        while text and cell_len(text) > cells - 1:
            text = text[:-1]
        text += "…"
    return text + " " * (cells - cell_len(text))


def _clause(clause_id: str, cells: int) -> str:
    """A clause id cut in the document's name, never in the clause's own number."""
    if len(clause_id) <= cells:
        return clause_id
    doc, _, path = clause_id.partition(":")
    return f"{doc[: max(1, cells - len(path) - 2)]}…:{path}"


def _wan(value: float) -> str:
    return f"{value:,.4g}万" if value < 10_000 else f"{value / 10_000:,.4g}亿"


def _amount(measure: MeasureResult) -> str:
    if measure.estimate is not None:
        return f"≈{_wan(measure.estimate.amount_wan)}"
    for kind in ("cap", "amount", "rate"):
        found = next((a for a in measure.amounts if a.kind == kind), None)
        if found is not None:
            return ("≤" if kind == "cap" else "") + found.text
    return "-"


def _why(measure: MeasureResult) -> str:
    if measure.status == "met":
        return f"all {len(measure.conditions)} conditions met"
    if measure.status == "unmet":
        failed = next((c for c in measure.conditions if c.status == "unmet"), None)
        return f"fails: {failed.reason}" if failed else f"not in force ({measure.document_status})"
    open_ = [c for c in measure.conditions if c.status == "unknown"]
    first = open_[0].question or open_[0].reason if open_ else ""
    return f"{len(open_)} to confirm: {first}"


def eligibility_table(result: EligibilityResult, width: int = 120, rows: int = 20) -> str:
    """One screen: the profile read, a row per measure (status, clause, title, amount, why),
    and the questions that would settle the rest. `--json` keeps every condition and span."""
    shown = result.profile.model_dump(
        mode="json", exclude={"free_text"}, exclude_none=True, exclude_defaults=True
    )
    lines = [_fit(f"Profile: {json.dumps(shown, ensure_ascii=False)}", width).rstrip()]
    why_cells = max(12, width - sum(_COLUMNS) - 2 * len(_COLUMNS))
    header = ("STATUS", "CLAUSE", "MEASURE", "AMOUNT", "WHY")
    lines.append("  ".join(_fit(h, c) for h, c in zip(header, (*_COLUMNS, why_cells), strict=True)))
    for measure in result.measures[:rows]:
        stale = "" if measure.in_force else f" [{measure.document_status}]"
        cells = (
            _STATUS_LABEL[measure.status],
            _clause(measure.clause_id, _COLUMNS[1]),
            measure.title.split(HEADING_SEPARATOR)[-1] + stale,
            _amount(measure),
            _why(measure),
        )
        lines.append(
            "  ".join(
                _fit(v, c) for v, c in zip(cells, (*_COLUMNS, why_cells), strict=True)
            ).rstrip()
        )
    if not result.measures:
        lines.append("No measure found for this profile.")
    elif len(result.measures) > rows:
        lines.append(f"… {len(result.measures) - rows} more; --json lists them all.")
    if result.follow_up_questions:
        lines.append("To settle the rest:")
        lines += [_fit(f"  - {q}", width).rstrip() for q in result.follow_up_questions[:3]]
    lines.append("Every condition, its reason and cited span: --json.")
    return "\n".join(lines)


@command("verify-wording")
def verify_wording(
    text: Annotated[str, typer.Argument(help="The passage to check, as quoted.")],
    doc: Annotated[str | None, typer.Option("--doc", help="Only this document.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Does the text really say this? exact, normalized, near (with a diff) or absent."""
    service = open_service()
    verdict = service.verify_wording(text, doc)
    if as_json:
        _print_json(verdict.model_dump(mode="json"))
        return
    typer.echo(f"{verdict.verdict.upper()}: {verdict.explanation}")
    for match in verdict.matches:
        c = match.citation
        typer.echo(f"[{c.n}] {c.doc_title}{HEADING_SEPARATOR}{within_document(c.heading_path)}")
        typer.echo(
            f"    {c.clause_id}, page {c.page}, chars {c.start}-{c.end}, "
            f"similarity {match.similarity:.2f}"
        )
        typer.echo(f"    source: {c.quote}")
        for piece in match.continuation:
            typer.echo(
                f"    continued in {piece.clause_id}, chars {piece.start}-{piece.end}: "
                f"{piece.quote}"
            )
        changes = [d for d in match.diff if d.op != "equal"]
        for change in changes:
            typer.echo(f"    {change.op}: claim «{change.claim}» → source «{change.source}»")


@command()
def show(
    doc_id: Annotated[str, typer.Argument(help="Document id, as listed by `policyqa docs`.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print a document's metadata and the normalized text all offsets refer to."""
    service = open_service()
    document = service.document(doc_id)
    data = {
        **document.meta.public_dict(),
        "text": document.text,
        "page_starts": list(document.page_starts),
        "content_hash": document.content_hash,
    }
    if as_json:
        _print_json(data)
        return
    typer.echo(f"{document.meta.title}\n{'=' * 40}\n{document.text}")


@command()
def docs(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the indexed documents with their manifest fields."""
    service = open_service()
    metas = service.documents()
    if as_json:
        _print_json([m.public_dict() for m in metas])
        return
    for meta in metas:
        flag = "official" if meta.official else "illustrative"
        typer.echo(
            f"{meta.id:40} {meta.language} {meta.level:10} {meta.status:11} {flag:12} "
            f"{meta.display_title}"
        )


@command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (each loads the model once).")] = 1,
    ingest_first: Annotated[
        bool,
        typer.Option("--ingest/--no-ingest", help="Ingest the corpus folder first if it changed."),
    ] = False,
    forwarded_allow_ips: Annotated[
        str,
        typer.Option(
            help="Proxies whose X-Forwarded-For names the client (comma-separated addresses "
            "or networks, or '*'). Default: none, so each client is its own peer address."
        ),
    ] = "",
    request_head_timeout: Annotated[
        float,
        typer.Option(
            min=0.1,
            help="Seconds a client may take to send a request's line and headers; a slower "
            "connection is closed.",
        ),
    ] = 10.0,
) -> None:
    """Serve the HTTP API, the widget and its demo page."""
    from api.limits import ServerConfig, run_server

    settings = _settings()
    if ingest_first:
        report = PolicyService.create(settings).ingest()
        typer.echo(
            f"Index: {report.documents} documents, {report.clauses} clauses "
            f"({'updated' if report.changed else 'up to date'})"
        )
    typer.echo(f"policyqa demo page: http://{host}:{port}/   API docs: http://{host}:{port}/docs")
    config = ServerConfig(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
        access_log=False,
        forwarded_allow_ips=forwarded_allow_ips,
        request_head_timeout=request_head_timeout,
    )
    run_server(config)


def _register_plugins() -> None:
    """Commands other installed packages add through the `policyqa.commands` entry point
    (the evaluation adds `policyqa eval`), so the core never imports them. Each plugin is
    called with `command`, so its commands turn core errors into user errors as these do.
    A plugin that cannot load is reported and skipped: the core commands still work."""
    for entry in entry_points(group=PLUGIN_GROUP):
        try:
            entry.load()(command)
        except Exception as exc:  # a broken plugin must not take the CLI down with it
            console.print(f"[yellow]command plugin {entry.name!r} not loaded:[/yellow] {exc}")


_register_plugins()


if __name__ == "__main__":  # pragma: no cover
    app()
