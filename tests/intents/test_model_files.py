"""The model files a first start writes into the cache directory: each process writes its own
temporary file and renames it into place, and a failed write leaves nothing behind, so two
instances starting at once on one shared directory never clash over a half-made file."""

from __future__ import annotations

from pathlib import Path

import pytest

from intents.encoder import _private_tmp, _quantized


def test_each_write_goes_to_a_file_of_its_own_beside_the_target(tmp_path: Path) -> None:
    target = tmp_path / "model-int8.onnx"
    first, second = _private_tmp(target), _private_tmp(target)
    assert first != second
    assert first.parent == second.parent == tmp_path
    assert first.name.startswith(target.name) and first.suffix == ".tmp"


def test_a_failed_quantisation_leaves_no_model_and_no_temporary_file(tmp_path: Path) -> None:
    source = tmp_path / "model.onnx"
    source.write_bytes(b"not an onnx model")
    with pytest.raises(Exception):  # noqa: B017 - whatever onnx raises for a broken file
        _quantized(source)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]
