"""Django's SQLite backend, making the database file's folder when it first connects.

Settings only name the file (var/db.sqlite3 by default) and create nothing;
SQLite creates the file itself but not its folder. So the folder is made
here, where the file is written, whichever process (a command, the server,
a test's subprocess) connects first.
"""

from pathlib import Path

from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteDatabaseWrapper


class DatabaseWrapper(SQLiteDatabaseWrapper):
    def get_new_connection(self, conn_params):
        name = str(conn_params.get("database") or "")
        in_memory = name == ":memory:" or "mode=memory" in name
        if name and not in_memory and not name.startswith("file:"):
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        return super().get_new_connection(conn_params)
