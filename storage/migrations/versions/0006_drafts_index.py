"""drafts: a partial index on reviews still in setup, for the job that retries their post

Creating an index leaves the reviews table (and the search triggers on it) as it is.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_reviews_drafts",
        "reviews",
        ["created_at"],
        sqlite_where=sa.text("stage = 'setup'"),
        postgresql_where=sa.text("stage = 'setup'"),
    )


def downgrade() -> None:
    op.drop_index("ix_reviews_drafts", table_name="reviews")
