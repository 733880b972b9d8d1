import sqlite3

from artifact_gui.core.sql_rows import ROWS_PER_STATEMENT, insert_rows


def test_insert_rows_sends_every_row_a_statement_of_many_at_a_time():
    connection = sqlite3.connect(":memory:", isolation_level=None)
    connection.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)")
    statements = []
    connection.set_trace_callback(statements.append)
    rows = [(f"key{i}", i) for i in range(2 * ROWS_PER_STATEMENT + 7)]

    insert_rows(connection, "INSERT OR IGNORE INTO t(k, v)", "(?, ?)", rows + rows[:5])

    assert len(statements) == 3
    insert_rows(connection, "INSERT INTO t(k, v)", "(?, ?)", [])  # nothing to send
    assert len(statements) == 3
    assert connection.execute("SELECT k, v FROM t ORDER BY v").fetchall() == rows
