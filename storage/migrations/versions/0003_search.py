"""search: a full-text index of each review (FTS5 on SQLite, tsvector + GIN on PostgreSQL)

The index is kept by database triggers on reviews, answers and lessons, so every writer
(the ORM, bulk deletes, an import, a hand-run UPDATE) keeps it current in its own transaction.
A review's document is its title (weighted higher) plus its answers and shared lessons.
Private perspectives are left out: a match would reveal words someone said in confidence.

On SQLite, a later batch migration that recreates reviews, answers or lessons drops their
triggers; it must create them again (tests/storage/test_search.py checks they work at head).

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# ---- SQLite: rowid of reviews_fts is the review id -------------------------------------------

_SQLITE_BODY = """
    coalesce((SELECT group_concat(a.text, ' ') FROM answers a
              WHERE a.review_id = r.id AND a.source <> 'private'), '')
    || ' ' ||
    coalesce((SELECT group_concat(l.text, ' ') FROM lessons l WHERE l.review_id = r.id), '')
"""


_SQLITE_REINDEX = """
    DELETE FROM reviews_fts WHERE rowid = {id};
    INSERT INTO reviews_fts (rowid, title, body)
        SELECT r.id, r.title, {body} FROM reviews r WHERE r.id = {id};
"""


def _sqlite_reindex(review_id: str) -> str:
    # Only constant fragments of this file are put together here, never user input.
    return _SQLITE_REINDEX.replace("{body}", _SQLITE_BODY).replace("{id}", review_id)


_SQLITE_TRIGGERS = {
    "reviews_fts_review_ins": ("AFTER INSERT ON reviews", _sqlite_reindex("NEW.id")),
    "reviews_fts_review_upd": ("AFTER UPDATE OF title ON reviews", _sqlite_reindex("NEW.id")),
    "reviews_fts_review_del": (
        "AFTER DELETE ON reviews",
        "DELETE FROM reviews_fts WHERE rowid = OLD.id;",
    ),
}
for _table in ("answers", "lessons"):
    _SQLITE_TRIGGERS |= {
        f"reviews_fts_{_table}_ins": (
            f"AFTER INSERT ON {_table}",
            _sqlite_reindex("NEW.review_id"),
        ),
        f"reviews_fts_{_table}_upd": (
            f"AFTER UPDATE ON {_table}",
            _sqlite_reindex("OLD.review_id") + _sqlite_reindex("NEW.review_id"),
        ),
        f"reviews_fts_{_table}_del": (
            f"AFTER DELETE ON {_table}",
            _sqlite_reindex("OLD.review_id"),
        ),
    }


def _sqlite_upgrade() -> None:
    # unicode61 folds case and (with remove_diacritics 2) accents, so "ubergabe" finds "Übergabe".
    op.execute(
        "CREATE VIRTUAL TABLE reviews_fts USING fts5("
        "title, body, tokenize = 'unicode61 remove_diacritics 2')"
    )
    for name, (when, body) in _SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {when} BEGIN {body} END")
    op.execute(  # backfill
        f"INSERT INTO reviews_fts (rowid, title, body) SELECT r.id, r.title, {_SQLITE_BODY} "  # noqa: S608
        "FROM reviews r"
    )


def _sqlite_downgrade() -> None:
    for name in _SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS reviews_fts")


# ---- PostgreSQL: review_search holds one weighted tsvector per review -------------------------

_PG_REINDEX = """
CREATE FUNCTION aarbot_reindex_review(rid integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO review_search (review_id, document)
    SELECT r.id,
           setweight(to_tsvector('english', r.title), 'A')
           || setweight(to_tsvector('english',
                  coalesce((SELECT string_agg(a.text, ' ') FROM answers a
                            WHERE a.review_id = r.id AND a.source <> 'private'), '')
                  || ' ' ||
                  coalesce((SELECT string_agg(l.text, ' ') FROM lessons l
                            WHERE l.review_id = r.id), '')), 'B')
    FROM reviews r WHERE r.id = rid
    ON CONFLICT (review_id) DO UPDATE SET document = EXCLUDED.document;
END $$
"""

_PG_REVIEW_TRIGGER = """
CREATE FUNCTION aarbot_search_review_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM aarbot_reindex_review(NEW.id);
    RETURN NULL;
END $$
"""

_PG_CHILD_TRIGGER = """
CREATE FUNCTION aarbot_search_child_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM aarbot_reindex_review(OLD.review_id);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.review_id <> OLD.review_id) THEN
        PERFORM aarbot_reindex_review(NEW.review_id);
    END IF;
    RETURN NULL;
END $$
"""


def _postgres_upgrade() -> None:
    op.execute(
        "CREATE TABLE review_search ("
        " review_id integer PRIMARY KEY REFERENCES reviews (id) ON DELETE CASCADE,"
        " document tsvector NOT NULL)"
    )
    op.execute("CREATE INDEX ix_review_search_document ON review_search USING gin (document)")
    op.execute(_PG_REINDEX)
    op.execute(_PG_REVIEW_TRIGGER)
    op.execute(_PG_CHILD_TRIGGER)
    op.execute(
        "CREATE TRIGGER review_search_review AFTER INSERT OR UPDATE OF title ON reviews "
        "FOR EACH ROW EXECUTE FUNCTION aarbot_search_review_changed()"
    )
    for table in ("answers", "lessons"):
        op.execute(
            f"CREATE TRIGGER review_search_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION aarbot_search_child_changed()"
        )
    op.execute("SELECT aarbot_reindex_review(id) FROM reviews")


def _postgres_downgrade() -> None:
    for table in ("reviews", "answers", "lessons"):
        name = "review_search_review" if table == "reviews" else f"review_search_{table}"
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS aarbot_search_child_changed()")
    op.execute("DROP FUNCTION IF EXISTS aarbot_search_review_changed()")
    op.execute("DROP FUNCTION IF EXISTS aarbot_reindex_review(integer)")
    op.execute("DROP TABLE IF EXISTS review_search")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
    else:
        _postgres_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_downgrade()
    else:
        _postgres_downgrade()
