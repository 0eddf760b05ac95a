"""The cache beside the data: one key per input, whatever the path's spelling; entries of
different names never remove each other."""

from __future__ import annotations

import pandas as pd

from qaworkbench.data.cache import cached_frame, stamp


def test_a_folder_named_relatively_or_not_has_one_key(tmp_path, monkeypatch):
    (tmp_path / "evaluation_items").mkdir()
    pd.DataFrame({"x": [1]}).to_parquet(tmp_path / "evaluation_items" / "2026-05.parquet")
    monkeypatch.chdir(tmp_path)
    before = stamp(["evaluation_items"])
    assert before == stamp([tmp_path / "evaluation_items"])
    (tmp_path / "evaluation_items" / "2026-06.parquet").write_bytes(b"")  # a month added
    assert stamp(["evaluation_items"]) != before


def test_a_new_entry_replaces_its_own_name_only(tmp_path):
    built = []

    def build(v):
        def f():
            built.append(v)
            return pd.DataFrame({"v": [v]})

        return f

    cached_frame(tmp_path, "scores", stamp([], "a"), build(1))
    cached_frame(tmp_path, "scores-by-files", stamp([], "b"), build(2))
    cached_frame(tmp_path, "scores", stamp([], "c"), build(3))  # replaces "scores" a only
    assert cached_frame(tmp_path, "scores-by-files", stamp([], "b"), build(4))["v"].tolist() == [2]
    assert built == [1, 2, 3]
    names = sorted(p.name.rsplit("-", 1)[0] for p in (tmp_path / ".qaw-cache").iterdir())
    assert names == ["scores", "scores-by-files"]
