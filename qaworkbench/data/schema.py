"""The canonical data model: one table per file in a data folder.

Every loader ends in these tables, whatever the export looked like. Durations
are seconds (float), times are naive local datetimes, flags are booleans.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["id", "text", "datetime", "date", "duration", "number", "flag", "category"]


@dataclass(frozen=True)
class Column:
    """One canonical column: its kind, whether it may be empty, and what it means."""

    name: str
    kind: Kind
    required: bool = True
    doc: str = ""
    values: tuple[str, ...] = ()  # allowed values for a category
    free_text: bool = False  # checked for spreadsheet formula injection
    without: str = ""  # what the workbench cannot do when an optional column is absent or empty


@dataclass(frozen=True)
class Table:
    """One canonical table: its columns, key and references to other tables."""

    name: str
    doc: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    references: dict[str, tuple[str, str]] = field(default_factory=dict)  # col -> (table, col)
    optional: bool = False
    without: str = ""  # what the workbench cannot do when the (optional) table is absent

    def column(self, name: str) -> Column:
        """The column called ``name``; KeyError if the table has none."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    @property
    def names(self) -> list[str]:
        """Column names in canonical order."""
        return [c.name for c in self.columns]


CHANNELS = ("voice", "chat")
DIRECTIONS = ("inbound", "outbound")
MODES = ("post_call", "real_time", "side_by_side", "test_call", "mystery_shopper", "calibration")
RESULTS = ("pass", "fail", "na")
COMPLAINT_CATEGORIES = ("attitude", "business")
APPEAL_DECISIONS = ("upheld", "rejected", "pending")
APPEAL_LEVELS = ("appeal", "second_appeal")  # 申诉, 上诉 (cloud-service code)
SENDERS = ("agent", "customer")
ROLES = ("qa", "qa_lead", "team_lead", "supervisor")

C = Column

CONTACTS = Table(
    "contacts",
    "Calls and chats handled or offered, one row per contact.",
    (
        C("contact_id", "id", doc="unique contact id"),
        C("agent_id", "id", required=False, doc="handling agent; empty only if not answered"),
        C("start_time", "datetime", doc="when the contact was offered (local time)"),
        C("end_time", "datetime", required=False, doc="when it ended, if exported"),
        C("channel", "category", values=CHANNELS, doc="voice or chat"),
        C("direction", "category", values=DIRECTIONS, doc="inbound or outbound"),
        C("answered", "flag", doc="reached an agent (false = abandoned / unanswered)"),
        C(
            "queue_wait_s",
            "duration",
            required=False,
            doc="wait before answer, s",
            without="service level unknown, so long contacts in missed intervals are not targeted",
        ),
        C(
            "talk_s",
            "duration",
            required=False,
            doc="talk or chat time, s",
            without="short and long contacts are not targeted, and base draws keep contacts of any length",
        ),
        C("hold_s", "duration", required=False, doc="hold time, s"),
        C("wrap_s", "duration", required=False, doc="after-contact work, s"),
        C(
            "customer_id",
            "id",
            required=False,
            doc="customer phone or account (personal data)",
            without="repeat contacts by the same customer are not targeted",
        ),
        C("topic", "text", required=False, free_text=True, doc="topic or disposition"),
        C("complaint", "flag", required=False, doc="contact raised a complaint"),
        C("resolved", "flag", required=False, doc="resolved on this contact"),
        C(
            "satisfaction",
            "number",
            required=False,
            doc="customer rating, 0 to 10 (e.g. 1-5)",
            without="reports show no customer satisfaction",
        ),
        C(
            "recording_ref",
            "text",
            required=False,
            free_text=True,
            doc="recording/transcript",
            without="samples and reports give no recording reference",
        ),
    ),
    key=("contact_id",),
    references={"agent_id": ("agents", "agent_id")},
)

AGENTS = Table(
    "agents",
    "The roster: one row per agent.",
    (
        C("agent_id", "id"),
        C("name", "text", free_text=True, doc="display name (坐席姓名)"),
        C("team", "text", free_text=True, doc="team (班组)"),
        C("team_lead", "text", required=False, free_text=True, doc="team lead (班长)"),
        C("site", "text", required=False, free_text=True),
        C("hire_date", "date"),
        C(
            "leave_date",
            "date",
            required=False,
            doc="last working day, empty if employed",
            without="every agent counts as still employed",
        ),
    ),
    key=("agent_id",),
)

EVALUATORS = Table(
    "evaluators",
    "People who evaluate: QA evaluators, the QA lead, team leads.",
    (
        C("evaluator_id", "id"),
        C("name", "text", free_text=True),
        C("role", "category", values=ROLES),
        C("team", "text", required=False, free_text=True, doc="own team, for team leads"),
    ),
    key=("evaluator_id",),
    optional=True,
    without="the sample is not allocated to evaluators, and calibration has no QA lead to compare with",
)

EVALUATIONS = Table(
    "evaluations",
    "One row per scored contact (质检记录).",
    (
        C("evaluation_id", "id"),
        C("contact_id", "id"),
        C("agent_id", "id"),
        C("evaluator_id", "id"),
        C("evaluated_at", "datetime"),
        C("mode", "category", values=MODES),
        C("scorecard_id", "id"),
        C("scorecard_version", "text", doc="scorecard version, e.g. 1.0"),
        C("calibration_session", "id", required=False, doc="set when scored in calibration"),
        C(
            "sample_reason",
            "id",
            required=False,
            doc="why the contact was sampled: a reason code of the sample (base_post_call, "
            "complaint, short …); empty when evaluated outside the sample",
            without="the quality level is the mean of every evaluation, targeted picks included",
        ),
    ),
    key=("evaluation_id",),
    references={
        "contact_id": ("contacts", "contact_id"),
        "agent_id": ("agents", "agent_id"),
        "evaluator_id": ("evaluators", "evaluator_id"),
    },
)

EVALUATION_ITEMS = Table(
    "evaluation_items",
    "One row per scorecard item per evaluation.",
    (
        C("evaluation_id", "id"),
        C("item_id", "id"),
        C("result", "category", values=RESULTS),
        C("points_deducted", "number", doc="points, >= 0"),
        C("comment", "text", required=False, free_text=True),
    ),
    key=("evaluation_id", "item_id"),
    references={"evaluation_id": ("evaluations", "evaluation_id")},
)

COMPLAINTS = Table(
    "complaints",
    "Customer complaints (投诉) against a contact.",
    (
        C("complaint_id", "id"),
        C("contact_id", "id"),
        C("agent_id", "id"),
        C("received_at", "datetime"),
        C("category", "category", values=COMPLAINT_CATEGORIES),
        C("upheld", "flag", required=False, doc="empty while still open"),
    ),
    key=("complaint_id",),
    references={"contact_id": ("contacts", "contact_id"), "agent_id": ("agents", "agent_id")},
    optional=True,
    without="complaint contacts are not sampled, complaint penalties are not counted and "
    "reports have no complaints section",
)

APPEALS = Table(
    "appeals",
    "Agents' appeals (申诉) against an item's deduction.",
    (
        C("evaluation_id", "id"),
        C("item_id", "id"),
        C("filed_at", "datetime"),
        C("decision", "category", values=APPEAL_DECISIONS),
        C(
            "level",
            "category",
            required=False,
            values=APPEAL_LEVELS,
            doc="appeal (申诉) or second_appeal (上诉, against the first decision); appeal when empty",
        ),
        C("first_reviewer", "id", required=False, doc="first of the two reviewers (双人复核)"),
        C("second_reviewer", "id", required=False, doc="second reviewer, not the first"),
        C(
            "signed_off_by",
            "id",
            required=False,
            doc="QA lead who signed the decision off (签字核准)",
        ),
        C("decided_at", "datetime", required=False, doc="when the decision was signed off"),
    ),
    key=("evaluation_id", "item_id", "level"),
    references={"evaluation_id": ("evaluations", "evaluation_id")},
    optional=True,
    without="no appeal outcomes: every deduction counts as scored",
)

CHAT_MESSAGES = Table(
    "chat_messages",
    "Messages of chat conversations (optional).",
    (
        C("conversation_id", "id", doc="the chat's contact_id"),
        C("seq", "number", doc="message order within the conversation, from 1"),
        C("sender", "category", values=SENDERS),
        C(
            "timestamp",
            "datetime",
            required=False,
            doc="when the message was sent (local time)",
            without="the timing rules (first response, average response, look-up wait) are "
            "n/a — no times in this export",
        ),
        C("text", "text", free_text=True),
    ),
    key=("conversation_id", "seq"),
    references={"conversation_id": ("contacts", "contact_id")},
    optional=True,
    without="chat transcripts are not shown with chat evaluations and chats are not auto-checked",
)

TRANSCRIPTS = Table(
    "transcripts",
    "Speech-to-text transcripts of calls (optional): one row per turn, as a center's "
    "speech analytics exports them. Offsets are seconds from the start of the call.",
    (
        C("contact_id", "id", doc="the call's contact_id"),
        C("turn", "number", doc="turn order within the call, from 1"),
        C("speaker", "category", values=SENDERS),
        C("start_s", "duration", doc="when the turn starts, s from the start of the call"),
        C("end_s", "duration", doc="when the turn ends, s from the start of the call"),
        C("text", "text", free_text=True),
    ),
    key=("contact_id", "turn"),
    references={"contact_id": ("contacts", "contact_id")},
    optional=True,
    without="calls are not auto-checked (no wording, silence or talk-over checks)",
)

PENALTY_EVENTS = Table(
    "penalty_events",
    "Penalty events recorded outside QA (扣罚登记): a financial loss (资损), a bottom-line "
    "finding made by hand, or any event kind the penalty code defines.",
    (
        C("event_id", "id"),
        C("agent_id", "id"),
        C(
            "contact_id",
            "id",
            required=False,
            doc="the contact it concerns; one contact is one case (most severe rule only)",
        ),
        C("occurred_at", "datetime", doc="when it happened (the month it counts in)"),
        C(
            "kind",
            "id",
            doc="event kind of the penalty code, e.g. financial_loss, bottom_line_finding",
        ),
        C(
            "amount",
            "number",
            required=False,
            doc="money involved (e.g. the customer's loss, yuan)",
        ),
        C("note", "text", required=False, free_text=True, doc="what happened, who found it"),
    ),
    key=("event_id",),
    references={"agent_id": ("agents", "agent_id"), "contact_id": ("contacts", "contact_id")},
    optional=True,
    without="financial-loss and other recorded penalty events are not counted",
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        CONTACTS,
        AGENTS,
        EVALUATORS,
        EVALUATIONS,
        EVALUATION_ITEMS,
        COMPLAINTS,
        APPEALS,
        CHAT_MESSAGES,
        TRANSCRIPTS,
        PENALTY_EVENTS,
    )
}

# Load order: a table's references come before it.
LOAD_ORDER = (
    "agents",
    "evaluators",
    "contacts",
    "evaluations",
    "evaluation_items",
    "complaints",
    "appeals",
    "chat_messages",
    "transcripts",
    "penalty_events",
)


def table(name: str) -> Table:
    """The canonical table called ``name``, with a clear error for a wrong name."""
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; expected one of {', '.join(TABLES)}") from None


def markdown() -> str:
    """The data model as Markdown tables, for docs/data-model.md and ``qaw schema``."""
    out = []
    for t in TABLES.values():
        opt = " (optional)" if t.optional else ""
        without = f" Without it: {t.without}." if t.without else ""
        out.append(f"### `{t.name}`{opt}\n\n{t.doc} Key: `{', '.join(t.key)}`.{without}\n")
        out.append("| column | kind | required | meaning |\n| --- | --- | --- | --- |")
        for c in t.columns:
            vals = f" ({' / '.join(c.values)})" if c.values else ""
            ref = t.references.get(c.name)
            ref_s = f" → `{ref[0]}.{ref[1]}`" if ref else ""
            req = "yes" if c.required else ""
            without = f" Without it: {c.without}." if c.without else ""
            out.append(f"| `{c.name}` | {c.kind} | {req} | {c.doc}{vals}{ref_s}{without} |")
        out.append("")
    return "\n".join(out)
