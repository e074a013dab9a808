"""call records written durably once (issue 10, defect 1): no change of schema

The record writer recognises a record delivered twice by its call id, which ``call_records``
already holds unique (0001); ids are unique across restarts and processes since this change
(``fleet.exchange.ids``). The revision stays so that the chain 0004-0007 reserved for this
change keeps its numbers.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # nothing to change: see above


def downgrade() -> None:
    pass
