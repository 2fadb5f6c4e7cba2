"""A bad manifest entry costs that entry only; a manifest that cannot be read at all is one
clear error, found without spending unbounded time or memory."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from assistant.errors import BadInputError
from assistant.ingest.manifest import load_manifest, plan_corpus

GOOD = """\
  - id: {id}
    title: {title}
    language: zh
    source: documents/{id}.txt
"""


def _corpus(root: Path, manifest: str | bytes, ids: tuple[str, ...] = ("aa", "bb", "cc")) -> Path:
    corpus = root / "corpus"
    (corpus / "documents").mkdir(parents=True)
    for doc_id in ids:
        (corpus / "documents" / f"{doc_id}.txt").write_text(
            f"第一条 {doc_id} 的内容。\n", encoding="utf-8"
        )
    data = manifest.encode("utf-8") if isinstance(manifest, str) else manifest
    (corpus / "manifest.yaml").write_bytes(data)
    return corpus


def _entries(*ids: str) -> str:
    return "".join(GOOD.format(id=doc_id, title=f"文件 {doc_id}") for doc_id in ids)


def test_a_bad_date_costs_only_its_entry(tmp_path: Path) -> None:
    bad = "  - id: bb\n    title: 坏日期\n    issued: 2022-13-45\n    source: documents/bb.txt\n"
    corpus = _corpus(tmp_path, "documents:\n" + _entries("aa") + bad + _entries("cc"))
    plan = plan_corpus(corpus)
    assert [meta.id for _, meta in plan.entries] == ["aa", "cc"]
    reason = plan.unsupported["documents/bb.txt"]
    assert "manifest.yaml" in reason and "bb" in reason and "issued" in reason
    # the file is not slipped in with guessed metadata either
    assert not any("bb.txt" in w and "inferred" in w for w in plan.warnings)


def test_an_entry_that_is_not_a_mapping_costs_only_itself(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, "documents:\n" + _entries("aa") + "  - just a string\n", ("aa",))
    plan = plan_corpus(corpus)
    assert [meta.id for _, meta in plan.entries] == ["aa"]
    assert any("entry 2" in key for key in plan.unsupported)


def test_a_bad_tag_in_one_entry_costs_only_that_entry(tmp_path: Path) -> None:
    bad = "  - id: bb\n    title: !!int abc\n    source: documents/bb.txt\n"
    corpus = _corpus(tmp_path, "documents:\n" + _entries("aa") + bad + _entries("cc"))
    plan = plan_corpus(corpus)
    assert [meta.id for _, meta in plan.entries] == ["aa", "cc"]
    assert "manifest.yaml" in plan.unsupported["documents/bb.txt"]


def test_duplicate_ids_are_reported_relative_to_the_corpus(tmp_path: Path) -> None:
    twin = "  - id: aa\n    title: 同名\n    source: documents/bb.txt\n"
    corpus = _corpus(tmp_path, "documents:\n" + _entries("aa") + twin + _entries("cc"))
    plan = plan_corpus(corpus)
    assert [meta.id for _, meta in plan.entries] == ["aa", "cc"]
    reason = plan.unsupported["documents/bb.txt"]
    assert "duplicate id aa" in reason and "manifest.yaml" in reason
    assert str(tmp_path) not in reason
    with pytest.raises(BadInputError) as info:
        load_manifest(corpus)
    assert "manifest.yaml" in info.value.message and str(tmp_path) not in info.value.message


def test_a_gb18030_manifest_is_read_with_a_warning(tmp_path: Path) -> None:
    text = "documents:\n" + _entries("aa", "bb")
    corpus = _corpus(tmp_path, text.encode("gb18030"), ("aa", "bb"))
    plan = plan_corpus(corpus)
    assert [meta.title for _, meta in plan.entries] == ["文件 aa", "文件 bb"]
    assert any("GB18030" in w and "UTF-8" in w for w in plan.warnings)


@pytest.mark.parametrize(
    ("manifest", "reason"),
    [
        ("documents: [\n  - id: aa\n", "not valid YAML"),
        ("a: &a [*a]\ndocuments: []\n", "refers to itself"),
        ("documents: &d\n  - id: aa\n    title: *d\n    source: documents/aa.txt\n", "itself"),
        ("documents: " + "[" * 5000 + "]" * 5000 + "\n", "nested"),
        ("- just\n- a list\n", "`documents` list"),
        ("documents: {id: aa}\n", "`documents` list"),
        ("documents: !!python/object:os.system {}\n", "`documents` list"),
        ("documents: []\n---\ndocuments: []\n", "not valid YAML"),
    ],
)
def test_an_unreadable_manifest_is_one_clear_error(
    tmp_path: Path, manifest: str, reason: str
) -> None:
    corpus = _corpus(tmp_path, manifest)
    with pytest.raises(BadInputError) as info:
        plan_corpus(corpus)
    message = info.value.message
    assert message.startswith("manifest.yaml") and reason in message
    assert str(tmp_path) not in message and "\n" not in message


def _alias_bomb(levels: int) -> str:
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for n in range(1, levels):
        lines.append(f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 9) + "]")
    lines.append("documents:")
    lines.append("  - id: aa")
    lines.append("    title: bomb")
    lines.append("    source: documents/aa.txt")
    lines.append(f"    payload: *l{levels - 1}")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, _alias_bomb(12))
    started = time.perf_counter()
    with pytest.raises(BadInputError, match="aliases"):
        plan_corpus(corpus)
    assert time.perf_counter() - started < 2


def test_a_few_aliases_are_fine(tmp_path: Path) -> None:
    manifest = (
        "defaults: &zh {language: zh, level: municipal}\n"
        "documents:\n"
        "  - <<: *zh\n    id: aa\n    title: 甲\n    source: documents/aa.txt\n"
        "  - <<: *zh\n    id: bb\n    title: 乙\n    source: documents/bb.txt\n"
    )
    plan = plan_corpus(_corpus(tmp_path, manifest, ("aa", "bb")))
    assert [(meta.id, meta.level) for _, meta in plan.entries] == [
        ("aa", "municipal"),
        ("bb", "municipal"),
    ]


def test_an_oversized_manifest_is_refused_before_parsing(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, "documents: []\n" + "#" * (2 * 1024 * 1024) + "\n")
    with pytest.raises(BadInputError, match="larger than"):
        plan_corpus(corpus)


def test_dates_are_still_read_as_dates(tmp_path: Path) -> None:
    entry = "  - id: aa\n    title: 甲\n    issued: 2024-01-05\n    source: documents/aa.txt\n"
    plan = plan_corpus(_corpus(tmp_path, "documents:\n" + entry, ("aa",)))
    assert str(plan.entries[0][1].issued) == "2024-01-05"


def test_file_names_cannot_forge_report_lines(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, "documents:\n" + _entries("aa"), ("aa",))
    (corpus / "documents" / "x\nwarning: forged.txt").write_text("第一条 内容。", encoding="utf-8")
    (corpus / "documents" / "y\x1b[2J.xlsx").write_bytes(b"PK")
    plan = plan_corpus(corpus)
    assert all("\n" not in w and "\x1b" not in w for w in plan.warnings)
    assert any("x\\nwarning: forged.txt" in w for w in plan.warnings)
    # keys are the sources themselves (data); what is meant to be read is escaped
    assert all("\x1b" not in reason for reason in plan.unsupported.values())


def test_every_file_under_the_corpus_is_ingested_or_reported_unless_ignored(
    tmp_path: Path,
) -> None:
    corpus = _corpus(tmp_path, "ignore:\n  - sources/\n  - '*.py'\ndocuments:\n" + _entries("aa"))
    (corpus / "loose.txt").write_text("补贴说明\n第一条 放在文件夹外的文件。\n", encoding="utf-8")
    (corpus / "notes.xlsx").write_bytes(b"PK")
    (corpus / "build.py").write_text("print('generator')\n", encoding="utf-8")
    (corpus / "sources").mkdir()
    (corpus / "sources" / "input.txt").write_text("generator input\n", encoding="utf-8")
    (corpus / ".hidden").mkdir()
    (corpus / ".hidden" / "x.txt").write_text("hidden\n", encoding="utf-8")
    plan = plan_corpus(corpus)
    ingested = {meta.source for _, meta in plan.entries}
    assert ingested == {"documents/aa.txt", "documents/bb.txt", "documents/cc.txt", "loose.txt"}
    assert "unsupported" in plan.unsupported["notes.xlsx"]
    assert not {"build.py", "sources/input.txt", ".hidden/x.txt"} & set(plan.unsupported)


def test_ignore_must_be_a_list_of_patterns(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, "ignore: {a: 1}\ndocuments:\n" + _entries("aa"))
    with pytest.raises(BadInputError, match="ignore"):
        plan_corpus(corpus)
