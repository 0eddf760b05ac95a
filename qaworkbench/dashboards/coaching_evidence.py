"""The evidence of a coaching view's evaluated contacts: a chat's masked transcript inline, a
call's recording played from the recordings folder (never a path outside it)."""

from __future__ import annotations

import base64
import html as _html
from pathlib import Path

import pandas as pd

from ..reporting import i18n
from .views import DashboardData

AUDIO_MAX_BYTES = 20_000_000  # a recording above this (bytes) is referenced, not embedded
AUDIO_TYPES = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".m4a": "audio/mp4",
               ".opus": "audio/ogg", ".flac": "audio/flac"}  # fmt: skip


def _audio(ref: str, folder: Path | None, lang: str) -> str:
    """An audio player for a recording under ``folder`` (embedded; never a path outside it), or
    the reference when the file is not there."""
    if folder is None or not ref:
        return _html.escape(ref or "")
    root = folder.resolve()
    path = (root / ref).resolve()
    if root not in path.parents or not path.is_file() or path.suffix.lower() not in AUDIO_TYPES:
        return _html.escape(i18n.say("recording_missing", lang, ref=ref))
    if path.stat().st_size > AUDIO_MAX_BYTES:
        return _html.escape(i18n.say("recording_too_big", lang, ref=ref))
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<audio controls preload="none" src="data:{AUDIO_TYPES[path.suffix.lower()]};base64,{data}">'
        f"{_html.escape(i18n.t('audio_unsupported', lang))}</audio>"
    )


def evidence_html(d: DashboardData, contacts: pd.DataFrame, recordings: Path | None) -> str:
    """Per evaluated contact, a fold with what it rests on: a chat's masked transcript inline,
    a call's recording player (or its reference)."""
    lang = d.language
    sender = {
        "agent": ("坐席", "agent"),
        "customer": ("客户", "customer"),
        "system": ("系统", "system"),
    }
    out = []
    for r in contacts.itertuples():
        score = "" if pd.isna(r.score) else f" · {r.score:.0f}"
        items = f" · {r.items}" if isinstance(r.items, str) else ""
        summary = _html.escape(f"{r.contact_id}{score}{items}")
        if r.contact_id in d.chats:
            body = "".join(
                f'<div class="qaw-turn"><small>{_html.escape(at)}</small> '
                f"<b>{_html.escape(sender.get(who, (who, who))[0 if lang == 'zh' else 1])}</b>："
                f"{_html.escape(text)}</div>"
                for at, who, text in d.chats[r.contact_id]
            )
        else:
            ref = d.contacts["recording_ref"].get(r.contact_id)
            body = _audio(ref if isinstance(ref, str) else "", recordings, lang)
        out.append(f"<details><summary>{summary}</summary>{body}</details>")
    return "".join(out)
