"""The name-search vocabulary (``NameTerm``) kept by database triggers, a covering posting
index on ``NameKey`` and, on PostgreSQL, a trigram index for typing errors.

Why triggers: the vocabulary's counts must stay exact whoever writes ``NameKey`` (the
registry services one child at a time, the bulk loader by the million, a future data
migration). On PostgreSQL they are statement-level triggers over transition tables, so a
bulk insert or ``COPY`` updates each term once per statement, not once per row; term rows
are locked in (kind, key) order so two registrations cannot deadlock on them. SQLite has
only row-level triggers, which is fine at the sizes SQLite is used for.

Why a trigram index on the vocabulary and not on ``NameKey``: a million children hold some
16 million keys but only a few hundred thousand distinct ones; a query word is matched
against the distinct words, then their children are read from the posting index.
"""

from django.db import migrations, models

POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm;",
    """CREATE INDEX nameterm_latin_trgm ON registry_nameterm
       USING gin (key gin_trgm_ops) WHERE kind = 'latin';""",
    """CREATE OR REPLACE FUNCTION registry_nameterm_add() RETURNS trigger AS $$
       BEGIN
         INSERT INTO registry_nameterm (kind, key, df)
           SELECT kind, key, count(*) FROM added GROUP BY kind, key ORDER BY kind, key
           ON CONFLICT (kind, key) DO UPDATE SET df = registry_nameterm.df + EXCLUDED.df;
         RETURN NULL;
       END; $$ LANGUAGE plpgsql;""",
    """CREATE OR REPLACE FUNCTION registry_nameterm_remove() RETURNS trigger AS $$
       BEGIN
         PERFORM 1 FROM registry_nameterm t
           WHERE (t.kind, t.key) IN (SELECT kind, key FROM removed)
           ORDER BY t.kind, t.key FOR UPDATE;
         UPDATE registry_nameterm t SET df = t.df - r.n
           FROM (SELECT kind, key, count(*) AS n FROM removed GROUP BY kind, key) r
           WHERE t.kind = r.kind AND t.key = r.key;
         RETURN NULL;
       END; $$ LANGUAGE plpgsql;""",
    """CREATE OR REPLACE FUNCTION registry_nameterm_change() RETURNS trigger AS $$
       BEGIN
         PERFORM 1 FROM registry_nameterm t
           WHERE (t.kind, t.key) IN (SELECT kind, key FROM removed)
           ORDER BY t.kind, t.key FOR UPDATE;
         UPDATE registry_nameterm t SET df = t.df - r.n
           FROM (SELECT kind, key, count(*) AS n FROM removed GROUP BY kind, key) r
           WHERE t.kind = r.kind AND t.key = r.key;
         INSERT INTO registry_nameterm (kind, key, df)
           SELECT kind, key, count(*) FROM added GROUP BY kind, key ORDER BY kind, key
           ON CONFLICT (kind, key) DO UPDATE SET df = registry_nameterm.df + EXCLUDED.df;
         RETURN NULL;
       END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER namekey_vocabulary_add AFTER INSERT ON registry_namekey
       REFERENCING NEW TABLE AS added
       FOR EACH STATEMENT EXECUTE FUNCTION registry_nameterm_add();""",
    """CREATE TRIGGER namekey_vocabulary_remove AFTER DELETE ON registry_namekey
       REFERENCING OLD TABLE AS removed
       FOR EACH STATEMENT EXECUTE FUNCTION registry_nameterm_remove();""",
    """CREATE TRIGGER namekey_vocabulary_change AFTER UPDATE ON registry_namekey
       REFERENCING OLD TABLE AS removed NEW TABLE AS added
       FOR EACH STATEMENT EXECUTE FUNCTION registry_nameterm_change();""",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS namekey_vocabulary_add ON registry_namekey;",
    "DROP TRIGGER IF EXISTS namekey_vocabulary_remove ON registry_namekey;",
    "DROP TRIGGER IF EXISTS namekey_vocabulary_change ON registry_namekey;",
    "DROP FUNCTION IF EXISTS registry_nameterm_add();",
    "DROP FUNCTION IF EXISTS registry_nameterm_remove();",
    "DROP FUNCTION IF EXISTS registry_nameterm_change();",
    "DROP INDEX IF EXISTS nameterm_latin_trgm;",
]
SQLITE = [
    """CREATE TRIGGER namekey_vocabulary_add AFTER INSERT ON registry_namekey BEGIN
         INSERT INTO registry_nameterm (kind, key, df) VALUES (NEW.kind, NEW.key, 1)
           ON CONFLICT (kind, key) DO UPDATE SET df = df + 1;
       END;""",
    """CREATE TRIGGER namekey_vocabulary_remove AFTER DELETE ON registry_namekey BEGIN
         UPDATE registry_nameterm SET df = df - 1 WHERE kind = OLD.kind AND key = OLD.key;
       END;""",
    """CREATE TRIGGER namekey_vocabulary_change AFTER UPDATE OF kind, key ON registry_namekey
       BEGIN
         UPDATE registry_nameterm SET df = df - 1 WHERE kind = OLD.kind AND key = OLD.key;
         INSERT INTO registry_nameterm (kind, key, df) VALUES (NEW.kind, NEW.key, 1)
           ON CONFLICT (kind, key) DO UPDATE SET df = df + 1;
       END;""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS namekey_vocabulary_add;",
    "DROP TRIGGER IF EXISTS namekey_vocabulary_remove;",
    "DROP TRIGGER IF EXISTS namekey_vocabulary_change;",
]
# Terms of the keys already stored (both databases).
FILL = ["""INSERT INTO registry_nameterm (kind, key, df)
           SELECT kind, key, count(*) FROM registry_namekey GROUP BY kind, key;"""]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="NameTerm",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                           serialize=False, verbose_name="ID")),
                ("kind", models.CharField(max_length=8)),
                ("key", models.CharField(max_length=200)),
                ("df", models.IntegerField(default=0)),
            ],
        ),
        migrations.RemoveIndex(model_name="namekey", name="registry_na_kind_0ece21_idx"),
        migrations.AddIndex(
            model_name="namekey",
            index=models.Index(fields=["kind", "key", "child"], name="namekey_posting"),
        ),
        migrations.AddConstraint(
            model_name="nameterm",
            constraint=models.UniqueConstraint(fields=("kind", "key"), name="nameterm_unique"),
        ),
        migrations.RunPython(_run({"sqlite": FILL, "postgresql": FILL}), migrations.RunPython.noop),
        migrations.RunPython(_run({"sqlite": SQLITE, "postgresql": POSTGRES}),
                             _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP})),
    ]
