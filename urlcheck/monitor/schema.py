"""The monitor's tables in the history database: version 2 of its schema (see history.py).

A URL line is known by its key: the SHA-256 of its file's absolute path and its unmasked URL,
so a password in the URL tells lines apart without being stored. Notify URLs hold secrets
too: a delivery names its target by the SHA-256 of the URL and shows it masked.

No foreign key points at the history's ``runs``: pruning old runs keeps the monitor's rows.
"""

from __future__ import annotations

# No ';' inside a statement, comments included: history.py splits the script on it to run
# the statements one by one in its migration's transaction.
MONITOR_SCHEMA = """
CREATE TABLE monitor_lines (
    key TEXT PRIMARY KEY,
    url TEXT NOT NULL,              -- masked, for display
    file TEXT NOT NULL,             -- absolute path, '-' for standard input
    state TEXT NOT NULL CHECK (state IN ('up', 'down')),
    since REAL NOT NULL,            -- when the current state began
    fails INTEGER NOT NULL,         -- failed runs in a row
    oks INTEGER NOT NULL,           -- good runs in a row
    fail_since REAL,                -- the first failed run of the current failure streak
    checked_at REAL NOT NULL,       -- the latest run that judged the line
    error_kind TEXT,                -- the latest failure
    status INTEGER,
    error TEXT,
    notified_at REAL,               -- the latest transition or reminder, for reminders
    incident_id INTEGER             -- the open incident while down
);
CREATE TABLE monitor_incidents (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    url TEXT NOT NULL,
    file TEXT NOT NULL,
    started_at REAL NOT NULL,       -- the first failed run of the streak that turned it down
    ended_at REAL,                  -- the run that turned it up, NULL while it lasts
    error_kind TEXT,                -- as the run that turned it down saw it
    status INTEGER,
    error TEXT
);
CREATE INDEX monitor_incidents_started ON monitor_incidents (started_at);
CREATE TABLE monitor_transitions (
    id INTEGER PRIMARY KEY,
    run_id INTEGER,                 -- the history's runs.id, when the caller gave it
    key TEXT NOT NULL,
    at REAL NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('up', 'down')),
    incident_id INTEGER
);
CREATE INDEX monitor_transitions_at ON monitor_transitions (at);
CREATE TABLE monitor_messages (
    id INTEGER PRIMARY KEY,         -- the queue's order: oldest first
    created_at REAL NOT NULL,
    key TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('down', 'up', 'reminder')),
    notify_type TEXT NOT NULL,      -- Apprise's: failure, success or warning
    title TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE monitor_deliveries (
    target TEXT NOT NULL,           -- SHA-256 of the notify URL, never the URL
    message_id INTEGER NOT NULL REFERENCES monitor_messages(id) ON DELETE CASCADE,
    label TEXT NOT NULL,            -- the notify URL, masked
    state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent')),
    claimed_by TEXT,                -- the delivering process while 'sending'
    claimed_at REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,                     -- why the latest attempt failed
    sent_at REAL,
    PRIMARY KEY (target, message_id)
) WITHOUT ROWID;
CREATE INDEX monitor_deliveries_message ON monitor_deliveries (message_id);
CREATE INDEX monitor_deliveries_unsent ON monitor_deliveries (target, message_id)
    WHERE state != 'sent';
"""
