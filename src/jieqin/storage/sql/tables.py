"""The SQL schema: SQLAlchemy Core tables, one place for every column.

Money is integer fen (``*_fen`` columns: exact, and ``SUM`` stays exact in every
database); dates are ``DATE``; periods are their text (``2021``, ``2021Q1``,
``2021-03``); region codes are their digits; enums are stored by value. Members and
status histories have their own tables with indexed columns, because rules query
them in bulk. Small nested values (cost terms, decision conditions, parameters and
inputs, helper sectors, programme need kinds) are JSON.

The database backs up the checks of the write path: foreign keys from every record
to the helper, household, member, need and fund it names; a resident ID number on
at most one member; a fund's ``granted_fen`` (kept by the storage as grants are
written) never above its budget. The read model (report tallies, who was paired,
follow-up rows) is in :mod:`jieqin.storage.sql.read_model`.

The Alembic migrations in ``migrations/versions`` create exactly this schema; a test
compares the two.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = [
    "ACTIVITIES",
    "AUDIT_LOG",
    "CONSENTS",
    "DECISIONS",
    "FUNDS",
    "FUND_CHANGES",
    "GRANTS",
    "GRIEVANCES",
    "HANDOVERS",
    "HELPERS",
    "HOUSEHOLDS",
    "MEMBERS",
    "MEMBER_MOVES",
    "METADATA",
    "NEEDS",
    "OBJECTIONS",
    "OBSERVATIONS",
    "PAIRINGS",
    "PLANS",
    "PLAN_ITEMS",
    "PROGRAMS",
    "REFERRALS",
    "RISK_WARNINGS",
    "STATUS_HISTORY",
    "TABLES",
    "VERSION_TABLE",
]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

METADATA = sa.MetaData(naming_convention=NAMING_CONVENTION)

#: Alembic's version table, named so it cannot clash with a host application's.
VERSION_TABLE = "jieqin_alembic_version"

ID = sa.String(64)
CODE = sa.String(64)
REGION = sa.String(12)
PERIOD = sa.String(7)
FEN = sa.BigInteger
SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

HELPERS = sa.Table(
    "helpers",
    METADATA,
    sa.Column("helper_id", ID, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("tier", CODE, nullable=False, index=True),
    sa.Column("home_region", REGION, nullable=False, index=True),
    sa.Column("sectors", sa.JSON, nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("phone", sa.String(32)),
    sa.Column("sealed", sa.Text),
)

HOUSEHOLDS = sa.Table(
    "households",
    METADATA,
    sa.Column("household_id", ID, primary_key=True),
    sa.Column("region", REGION, nullable=False, index=True),
    sa.Column("status", CODE, nullable=False, index=True),
)
"""``status`` is the latest status, kept for queries; the history is in ``household_status``."""

_HOUSEHOLD = "households.household_id"
_HELPER = "helpers.helper_id"
_MEMBER = "household_members.member_id"

MEMBERS = sa.Table(
    "household_members",
    METADATA,
    sa.Column("member_id", ID, primary_key=True),
    sa.Column(
        "household_id",
        ID,
        sa.ForeignKey("households.household_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("sex", CODE, nullable=False),
    sa.Column("birth_date", sa.Date, nullable=False, index=True),
    sa.Column("resident_id", sa.String(18), unique=True),
    sa.Column("relation", CODE, nullable=False),
    sa.Column("health_condition", CODE, nullable=False),
    sa.Column("diagnosis", sa.Text),
    sa.Column("disability_grade", sa.SmallInteger),
    sa.Column("school_level", CODE),
    sa.Column("school_year_of_entry", sa.Integer),
    sa.Column("school_institution", sa.Text),
    sa.Column("employment", CODE, nullable=False, index=True),
    sa.Column("phone", sa.String(32)),
    sa.Column("departed_on", sa.Date),
    # Encryption at rest (jieqin.storage.sql.encryption): the resident ID number, phone
    # and diagnosis sealed together, the clear columns NULL, and a keyed hash of the
    # number that keeps it on one member.
    sa.Column("sealed", sa.Text),
    sa.Column("resident_id_index", sa.String(64)),
    sa.Index("ix_household_members_resident_id_index", "resident_id_index", unique=True),
    # Partial: only the members who have the fact are indexed (revision 0019), so a
    # province's bulk load builds small indexes and a query on the fact reads them.
    sa.Index(
        "ix_household_members_schooling",
        "school_level",
        "school_year_of_entry",
        sqlite_where=sa.text("school_level IS NOT NULL"),
        postgresql_where=sa.text("school_level IS NOT NULL"),
    ),
    # Covering: which households have a current member with a major illness or a
    # disability is read from the index alone (the overdue scan's household facts).
    sa.Index("ix_household_members_condition", "health_condition", "departed_on", "household_id"),
    sa.Index(
        "ix_household_members_disability",
        "disability_grade",
        "departed_on",
        "household_id",
        sqlite_where=sa.text("disability_grade IS NOT NULL"),
        postgresql_where=sa.text("disability_grade IS NOT NULL"),
    ),
)

STATUS_HISTORY = sa.Table(
    "household_status",
    METADATA,
    sa.Column(
        "household_id",
        ID,
        sa.ForeignKey("households.household_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("status", CODE, nullable=False, index=True),
    sa.Column("since", sa.Date, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
)

MEMBER_MOVES = sa.Table(
    "member_moves",
    METADATA,
    sa.Column("move_id", SERIAL, primary_key=True, autoincrement=True),
    sa.Column("member_id", ID, sa.ForeignKey(_MEMBER), nullable=False, index=True),
    sa.Column("from_household_id", ID, sa.ForeignKey(_HOUSEHOLD), nullable=False),
    sa.Column("to_household_id", ID, sa.ForeignKey(_HOUSEHOLD), nullable=False),
    sa.Column("on", sa.Date, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)
"""Members moved between households, in the order they were moved."""

PAIRINGS = sa.Table(
    "pairings",
    METADATA,
    sa.Column("helper_id", ID, sa.ForeignKey(_HELPER), primary_key=True),
    sa.Column("household_id", ID, sa.ForeignKey(_HOUSEHOLD), primary_key=True, index=True),
    sa.Column("start", sa.Date, primary_key=True),
    sa.Column("role", CODE, nullable=False),
    sa.Column("end", sa.Date),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("costs", sa.JSON, nullable=False),
)

HANDOVERS = sa.Table(
    "handovers",
    METADATA,
    sa.Column("handover_id", SERIAL, primary_key=True, autoincrement=True),
    sa.Column("household_id", ID, sa.ForeignKey(_HOUSEHOLD), nullable=False, index=True),
    sa.Column("on", sa.Date, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("from_helper_id", ID, sa.ForeignKey(_HELPER)),
    sa.Column("to_helper_id", ID, sa.ForeignKey(_HELPER)),
)

NEEDS = sa.Table(
    "needs",
    METADATA,
    sa.Column("need_id", ID, primary_key=True),
    sa.Column("household_id", ID, sa.ForeignKey(_HOUSEHOLD), nullable=False, index=True),
    sa.Column("kind", CODE, nullable=False, index=True),
    sa.Column("period", PERIOD, nullable=False, index=True),
    sa.Column("source", CODE, nullable=False),
    sa.Column("raised_on", sa.Date, nullable=False),
    sa.Column("member_id", ID, sa.ForeignKey(_MEMBER), index=True),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("status", CODE, nullable=False, index=True),
    sa.Column("route_kind", CODE),
    sa.Column("route_target", ID),
    sa.Column("route_explanation", sa.Text),
    sa.Column("resolved_on", sa.Date),
    sa.Column("resolved_by", sa.Text),
)

REFERRALS = sa.Table(
    "referrals",
    METADATA,
    sa.Column("referral_id", ID, primary_key=True),
    sa.Column("need_id", ID, sa.ForeignKey("needs.need_id"), nullable=False, index=True),
    sa.Column("household_id", ID, sa.ForeignKey(_HOUSEHOLD), nullable=False, index=True),
    sa.Column("agency", CODE, nullable=False, index=True),
    sa.Column("referred_on", sa.Date, nullable=False),
    sa.Column("member_id", ID, sa.ForeignKey(_MEMBER), index=True),
    sa.Column("completed_on", sa.Date),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("consent_id", ID, sa.ForeignKey("consents.consent_id"), index=True),
    sa.Column("status", CODE, nullable=False, server_default="referred", index=True),
    sa.Column("accepted_on", sa.Date),
    sa.Column("rejected_on", sa.Date),
    sa.Column("rejection_reason", sa.Text, nullable=False, server_default=""),
    sa.Column("outcome", CODE),
    sa.Column("due_on", sa.Date),
)
"""A referral's steps: ``status`` (referred, accepted, rejected, completed) with the day
of each step, the reason of a rejection and the outcome code of a completion; ``due_on``
the day the agency should have completed or rejected it by."""

ACTIVITIES = sa.Table(
    "activities",
    METADATA,
    sa.Column("activity_id", ID, primary_key=True),
    sa.Column("kind", CODE, nullable=False, index=True),
    sa.Column("on", sa.Date, nullable=False, index=True),
    sa.Column("helper_id", ID, sa.ForeignKey(_HELPER), nullable=False, index=True),
    sa.Column("household_id", ID, sa.ForeignKey(_HOUSEHOLD), nullable=False, index=True),
    sa.Column("member_id", ID, sa.ForeignKey(_MEMBER), index=True),
    sa.Column("need_id", ID, sa.ForeignKey("needs.need_id"), index=True),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("event", ID),
    sa.Column("voided_on", sa.Date),
    sa.Column("void_reason", sa.Text, nullable=False, server_default=""),
    sa.Column("voided_by", sa.Text),
)
"""A voided activity keeps its row (``voided_on``, ``void_reason``, ``voided_by``) and
counts in no figure and no follow-up row."""

PROGRAMS = sa.Table(
    "programs",
    METADATA,
    sa.Column("program_id", ID, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("funder", sa.Text, nullable=False),
    sa.Column("kind", CODE, nullable=False),
    sa.Column("amount_fen", FEN),
    sa.Column("serves", sa.JSON, nullable=False),
    sa.Column("agency", ID),
    sa.Column("period_kind", CODE, nullable=False),
    sa.Column("grant_unit", CODE, nullable=False, server_default="member"),
)

FUNDS = sa.Table(
    "funds",
    METADATA,
    sa.Column("fund_id", ID, primary_key=True),
    sa.Column("program_id", ID, nullable=False, index=True),
    sa.Column("period", PERIOD, nullable=False),
    sa.Column("budget_fen", FEN, nullable=False),
    sa.Column("funder", sa.Text, nullable=False),
    sa.Column("granted_fen", FEN, nullable=False, server_default=sa.text("0")),
    sa.Column("name", sa.Text, nullable=False, server_default=""),
    sa.Column("topped_up_fen", FEN, nullable=False, server_default=sa.text("0")),
    sa.Column("closed_on", sa.Date),
    sa.CheckConstraint("granted_fen <= budget_fen", name="within_budget"),
    sa.CheckConstraint("granted_fen >= 0", name="granted_not_negative"),
)
"""``budget_fen`` is the budget in force: the budget the fund was added with plus its
top-ups (``topped_up_fen``, the sum of its ``fund_changes`` of kind ``top_up``);
``closed_on`` the day of its closing, if any. ``granted_fen`` is the sum of the
fund's grants that hold money (in force and not returned). The storage keeps these in the same
transaction as every grant and fund change written: the check constraint refuses a
grant that would take the fund past its budget, and a budget set below what was
granted."""

FUND_CHANGES = sa.Table(
    "fund_changes",
    METADATA,
    sa.Column("fund_id", ID, sa.ForeignKey("funds.fund_id"), primary_key=True),
    sa.Column("number", sa.Integer, primary_key=True),
    sa.Column("kind", CODE, nullable=False),
    sa.Column("on", sa.Date, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("amount_fen", FEN),
    sa.Column("actor", sa.Text, nullable=False),
)
"""Each fund's top-ups and closing, numbered from 1 in the order they were made;
appended, never changed."""

GRANTS = sa.Table(
    "grants",
    METADATA,
    sa.Column("grant_id", ID, primary_key=True),
    sa.Column("program_id", ID, nullable=False),
    sa.Column("fund_id", ID, sa.ForeignKey("funds.fund_id"), nullable=False, index=True),
    sa.Column("period", PERIOD, nullable=False),
    sa.Column("household_id", ID, sa.ForeignKey(_HOUSEHOLD), nullable=False, index=True),
    sa.Column("member_id", ID, sa.ForeignKey(_MEMBER), index=True),
    sa.Column("amount_fen", FEN, nullable=False),
    sa.Column("decided_on", sa.Date, nullable=False),
    sa.Column("decision_id", ID, nullable=False),
    sa.Column("agency", ID),
    sa.Column("need_id", ID, sa.ForeignKey("needs.need_id")),
    sa.Column("revoked_on", sa.Date),
    sa.Column("revoke_reason", sa.Text, nullable=False, server_default=""),
    sa.Column("batch_id", ID, index=True),
    sa.Column("paid_on", sa.Date),
    sa.Column("payment_reference", sa.Text, nullable=False, server_default=""),
    sa.Column("returned_on", sa.Date),
    sa.Column("return_reason", sa.Text, nullable=False, server_default=""),
    sa.Index(
        "uq_grants_in_force",
        "program_id",
        "period",
        "member_id",
        unique=True,
        sqlite_where=sa.text("revoked_on IS NULL"),
        postgresql_where=sa.text("revoked_on IS NULL"),
    ),
    sa.Index(
        "uq_grants_household_in_force",
        "program_id",
        "period",
        "household_id",
        unique=True,
        sqlite_where=sa.text("revoked_on IS NULL AND member_id IS NULL"),
        postgresql_where=sa.text("revoked_on IS NULL AND member_id IS NULL"),
    ),
)
"""One grant in force per member per programme period: the partial unique index
guarantees it (and, since a resident ID number is on at most one member, one per
person); a household grant (``member_id`` NULL, a programme that grants per household)
is one in force per household per programme period, by the second. A revoked grant
keeps its row (``revoked_on``, ``revoke_reason``) and does not stop a new grant. Its payment: the batch it was sent in (``batch_id``), the day it
was paid with the bank's reference, the day the money came back and why; a returned
grant holds its member's slot (until revoked) but no money of its fund."""

DECISIONS = sa.Table(
    "decisions",
    METADATA,
    sa.Column("decision_id", ID, primary_key=True),
    sa.Column("program_id", ID, nullable=False, index=True),
    sa.Column("period", PERIOD, nullable=False),
    sa.Column("household_id", ID, sa.ForeignKey(_HOUSEHOLD), nullable=False, index=True),
    sa.Column("member_id", ID, sa.ForeignKey(_MEMBER), index=True),
    sa.Column("outcome", CODE, nullable=False, index=True),
    sa.Column("decided_on", sa.Date, nullable=False),
    sa.Column("rule_version", sa.Text, nullable=False),
    sa.Column("amount_fen", FEN),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("conditions", sa.JSON, nullable=False),
    sa.Column("parameters", sa.JSON, nullable=False),
    sa.Column("inputs", sa.JSON, nullable=False),
    sa.Column("priority", sa.Integer),
)

CONSENTS = sa.Table(
    "consents",
    METADATA,
    sa.Column("consent_id", ID, primary_key=True),
    sa.Column("member_id", ID, sa.ForeignKey(_MEMBER), nullable=False, index=True),
    sa.Column("household_id", ID, sa.ForeignKey(_HOUSEHOLD), nullable=False, index=True),
    sa.Column("recipient", CODE, nullable=False, index=True),
    sa.Column("purpose", sa.Text, nullable=False),
    sa.Column("facts", sa.JSON, nullable=False),
    sa.Column("given_on", sa.Date, nullable=False),
    sa.Column("expires_on", sa.Date),
    sa.Column("withdrawn_on", sa.Date),
    sa.Column("withdrawal_reason", sa.Text, nullable=False),
)
"""Members' consents to share facts with an agency; withdrawn, never deleted."""

GRIEVANCES = sa.Table(
    "grievances",
    METADATA,
    sa.Column("grievance_id", ID, primary_key=True),
    sa.Column("household_id", ID, sa.ForeignKey(_HOUSEHOLD), nullable=False, index=True),
    sa.Column("member_id", ID, sa.ForeignKey(_MEMBER), index=True),
    sa.Column("channel", CODE, nullable=False),
    sa.Column("category", CODE, nullable=False, index=True),
    sa.Column("received_on", sa.Date, nullable=False, index=True),
    sa.Column("due_on", sa.Date, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("target_kind", CODE),
    sa.Column("target_id", ID, index=True),
    sa.Column("received_by", sa.Text, nullable=False),
    sa.Column("stage", CODE, nullable=False, index=True),
    sa.Column("started_on", sa.Date),
    sa.Column("started_by", sa.Text),
    sa.Column("answered_on", sa.Date),
    sa.Column("answered_by", sa.Text),
    sa.Column("answer", sa.Text, nullable=False),
    sa.Column("closed_on", sa.Date),
    sa.Column("closed_by", sa.Text),
    sa.Column("closing_note", sa.Text, nullable=False),
    sa.Column("redecision_id", ID, sa.ForeignKey("decisions.decision_id")),
    sa.CheckConstraint("(target_kind IS NULL) = (target_id IS NULL)", name="target_whole"),
    sa.CheckConstraint("due_on >= received_on", name="due_after_received"),
)
"""Grievances and appeals with their stages, never deleted. ``target_kind`` and
``target_id`` name what one is about (a decision, a helper or a need: no foreign key,
the write checks find it); ``redecision_id`` the decision an appeal led to."""

PLANS = sa.Table(
    "plans",
    METADATA,
    sa.Column("plan_id", ID, primary_key=True),
    sa.Column("program_id", ID, nullable=False, index=True),
    sa.Column("fund_id", ID, sa.ForeignKey("funds.fund_id"), nullable=False, index=True),
    sa.Column("period", PERIOD, nullable=False),
    sa.Column("decided_on", sa.Date, nullable=False),
    sa.Column("rule_version", sa.Text, nullable=False),
    sa.Column("made_by", sa.Text, nullable=False),
    sa.Column("made_on", sa.Date, nullable=False),
    sa.Column("item_count", sa.Integer, nullable=False),
    sa.Column("status", CODE, nullable=False, index=True),
    sa.Column("approved_by", sa.Text),
    sa.Column("approved_on", sa.Date),
    sa.Column("notice_from", sa.Date),
    sa.Column("notice_until", sa.Date),
    sa.Column("committed_on", sa.Date),
    sa.Column("withdrawn_on", sa.Date),
    sa.Column("withdraw_reason", sa.Text, nullable=False),
)
"""Allocations stored for approval and public notice before they grant."""

PLAN_ITEMS = sa.Table(
    "plan_items",
    METADATA,
    sa.Column("item_id", ID, primary_key=True),
    sa.Column("plan_id", ID, sa.ForeignKey("plans.plan_id"), nullable=False, index=True),
    sa.Column("household_id", ID, sa.ForeignKey(_HOUSEHOLD), nullable=False, index=True),
    sa.Column("member_id", ID, sa.ForeignKey(_MEMBER), index=True),
    sa.Column("status", CODE, nullable=False),
    sa.Column("fund_id", ID, sa.ForeignKey("funds.fund_id")),
    sa.Column("amount_fen", FEN),
    sa.Column("settled_on", sa.Date),
    sa.Column("decision", sa.JSON, nullable=False),
    sa.Column("planned_grant", sa.JSON),
    sa.Index("ix_plan_items_fund_id_status", "fund_id", "status"),
)
"""Each decision of a plan, stored when the plan is committed; a granting one with its
grant (``planned_grant``) and, as columns, the fund and amount it reserves while ``status`` is
``planned`` or ``held`` (what the fund's ``reserved`` sums)."""

OBJECTIONS = sa.Table(
    "objections",
    METADATA,
    sa.Column("objection_id", ID, primary_key=True),
    sa.Column("plan_id", ID, sa.ForeignKey("plans.plan_id"), nullable=False, index=True),
    sa.Column("household_id", ID, sa.ForeignKey(_HOUSEHOLD), nullable=False, index=True),
    sa.Column("member_id", ID, sa.ForeignKey(_MEMBER), index=True),
    sa.Column("received_on", sa.Date, nullable=False),
    sa.Column("statement", sa.Text, nullable=False),
    sa.Column("objector", sa.Text, nullable=False),
    sa.Column("status", CODE, nullable=False),
    sa.Column("decided_on", sa.Date),
    sa.Column("decided_by", sa.Text),
    sa.Column("decision_reason", sa.Text, nullable=False),
)
"""Objections to the people on a plan's public notice; decided, never deleted."""

ELIMINATIONS = sa.Table(
    "eliminations",
    METADATA,
    sa.Column("elimination_id", ID, primary_key=True),
    sa.Column("household_id", ID, sa.ForeignKey(_HOUSEHOLD), nullable=False, index=True),
    sa.Column("from_status", CODE, nullable=False),
    sa.Column("to_status", CODE, nullable=False),
    sa.Column("stable_months", sa.JSON, nullable=False),
    sa.Column("checked_by", sa.Text, nullable=False),
    sa.Column("checked_on", sa.Date, nullable=False),
    sa.Column("check_note", sa.Text, nullable=False),
    sa.Column("made_by", sa.Text, nullable=False),
    sa.Column("made_on", sa.Date, nullable=False),
    sa.Column("status", CODE, nullable=False, index=True),
    sa.Column("approved_by", sa.Text),
    sa.Column("approved_on", sa.Date),
    sa.Column("notice_from", sa.Date),
    sa.Column("notice_until", sa.Date),
    sa.Column("committed_on", sa.Date),
    sa.Column("withdrawn_on", sa.Date),
    sa.Column("withdraw_reason", sa.Text, nullable=False),
    sa.Column("objections", sa.JSON, nullable=False),
)
"""Risk eliminations: a monitored household's way out of monitoring, with its evidence
(``stable_months``: month, income and line of each month), its home check, the steps of
a plan's approval and notice, and the objections received during the notice (rows of
``objections`` as JSON, whose ``plan_id`` is the elimination)."""

OBSERVATIONS = sa.Table(
    "observations",
    METADATA,
    sa.Column("observation_id", ID, primary_key=True),
    sa.Column("household_id", ID, sa.ForeignKey(_HOUSEHOLD), nullable=False, index=True),
    sa.Column("member_id", ID, sa.ForeignKey(_MEMBER), index=True),
    sa.Column("kind", CODE, nullable=False, index=True),
    sa.Column("period", PERIOD, nullable=False, index=True),
    sa.Column("amount_fen", FEN),
    sa.Column("source", CODE, nullable=False),
    sa.Column("recorded_on", sa.Date, nullable=False),
    sa.Column("feed", sa.Text),
    sa.Column("feed_record", sa.Text),
    sa.Column("note", sa.Text, nullable=False),
    # Encryption at rest (jieqin.storage.sql.encryption): a medical expenditure's
    # amount sealed, ``amount_fen`` NULL.
    sa.Column("sealed", sa.Text),
    sa.UniqueConstraint("feed", "feed_record"),
    sa.CheckConstraint("(feed IS NULL) = (feed_record IS NULL)", name="feed_whole"),
    sa.CheckConstraint("amount_fen IS NOT NULL OR sealed IS NOT NULL", name="amount_kept"),
    sa.CheckConstraint("amount_fen >= 0", name="amount_nonnegative"),
)
"""Households' incomes and rigid expenditures over a period (防返贫监测), each from a
source; a feed's record (``feed``, ``feed_record``) is stored once."""

RISK_WARNINGS = sa.Table(
    "risk_warnings",
    METADATA,
    sa.Column("warning_id", ID, primary_key=True),
    sa.Column("household_id", ID, sa.ForeignKey(_HOUSEHOLD), nullable=False, index=True),
    sa.Column("rules", sa.JSON, nullable=False),
    sa.Column("period", PERIOD, nullable=False, index=True),
    sa.Column("raised_on", sa.Date, nullable=False, index=True),
    sa.Column("check_due", sa.Date, nullable=False),
    sa.Column("status", CODE, nullable=False, index=True),
    sa.Column("assigned_to", sa.Text, index=True),
    sa.Column("assigned_on", sa.Date),
    sa.Column("checked_by", sa.Text),
    sa.Column("checked_on", sa.Date),
    sa.Column("check_note", sa.Text, nullable=False),
    sa.Column("decided_by", sa.Text),
    sa.Column("decided_on", sa.Date),
    sa.Column("category", CODE),
    sa.Column("reason", sa.Text, nullable=False),
    sa.CheckConstraint("check_due >= raised_on", name="due_after_raised"),
)
"""Risk warnings and their steps (raised, assigned, checked, confirmed or dismissed),
never deleted; ``rules`` the codes of the warning rules that held (JSON list)."""

AUDIT_LOG = sa.Table(
    "audit_log",
    METADATA,
    sa.Column("entry_id", SERIAL, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.Text, nullable=False, index=True),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("entity", sa.String(64), nullable=False),
    sa.Column("entity_id", sa.Text),
    sa.Column("changes", sa.JSON, nullable=False),
    sa.Column("prev_hash", sa.String(80)),
    sa.Column("hash", sa.String(80)),
    sa.Index("ix_audit_log_entity", "entity", "entity_id"),
)
"""Append-only: database triggers refuse ``UPDATE`` and ``DELETE`` (migration 0002) and,
on SQLite, an insert that would replace an entry (migration 0008). Each entry's
``hash`` chains it to the one before (``prev_hash``), see
:mod:`jieqin.storage.audit_chain`; jieqin numbers the entries itself."""

#: Repository name -> its main table.
TABLES: dict[str, sa.Table] = {
    "helpers": HELPERS,
    "households": HOUSEHOLDS,
    "pairings": PAIRINGS,
    "handovers": HANDOVERS,
    "needs": NEEDS,
    "referrals": REFERRALS,
    "activities": ACTIVITIES,
    "programs": PROGRAMS,
    "funds": FUNDS,
    "grants": GRANTS,
    "decisions": DECISIONS,
    "consents": CONSENTS,
    "grievances": GRIEVANCES,
    "plans": PLANS,
    "plan_items": PLAN_ITEMS,
    "objections": OBJECTIONS,
    "eliminations": ELIMINATIONS,
    "observations": OBSERVATIONS,
    "warnings": RISK_WARNINGS,
    "member_moves": MEMBER_MOVES,
    "fund_changes": FUND_CHANGES,
}
