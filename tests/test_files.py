"""Files and folders published whole (`termnorm_utils.files`): a reader sees the old or the new."""

import pytest

from termnorm_utils.files import atomic_dir, atomic_path


def test_a_folder_replaces_the_old_one_only_when_it_is_complete(tmp_path):
    final = tmp_path / "model"
    final.mkdir()
    (final / "old.bin").write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_dir(final) as tmp:
        (tmp / "weights.bin").write_bytes(b"half")
        raise RuntimeError("killed while saving")
    assert [p.name for p in final.iterdir()] == ["old.bin"]
    with atomic_dir(final) as tmp:
        (tmp / "weights.bin").write_bytes(b"new")
    assert [p.name for p in final.iterdir()] == ["weights.bin"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # no temporary left


def test_a_file_is_replaced_whole_or_not_at_all(tmp_path):
    path = tmp_path / "table.parquet"
    path.write_bytes(b"old")
    with pytest.raises(OSError), atomic_path(path) as tmp:
        tmp.write_bytes(b"half")
        raise OSError("No space left on device")
    assert path.read_bytes() == b"old"
    with atomic_path(path) as tmp:
        tmp.write_bytes(b"new")
    assert path.read_bytes() == b"new" and sorted(p.name for p in tmp_path.iterdir()) == [
        "table.parquet"
    ]
