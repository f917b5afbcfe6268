-- A version-1 history database, dumped (sqlite3 iterdump) from one that urlcheck 798b4ea
-- created and filled: the starting point of the 1 -> 2 migration test (tests/test_monitor_schema.py).
BEGIN TRANSACTION;
CREATE TABLE results (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    checked_at REAL NOT NULL,
    url TEXT NOT NULL,
    file TEXT NOT NULL,
    line INTEGER NOT NULL,
    ok INTEGER NOT NULL,
    status INTEGER,
    reason TEXT,
    elapsed_ms REAL NOT NULL,
    final_url TEXT,
    redirects INTEGER NOT NULL,
    method TEXT,
    attempts INTEGER NOT NULL,
    error_kind TEXT,
    error TEXT,
    cert_days REAL
);
INSERT INTO "results" VALUES(1,1,1700000001.0,'https://a.example/','urls.txt',1,1,200,NULL,12.5,NULL,0,'HEAD',1,NULL,NULL,NULL);
INSERT INTO "results" VALUES(2,1,1700000002.0,'https://b.example/','urls.txt',2,0,503,NULL,40.0,NULL,0,'GET',3,'status','status 503 is not accepted',NULL);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    started_at REAL NOT NULL,
    finished_at REAL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    total INTEGER,
    failed INTEGER,
    interrupted INTEGER
);
INSERT INTO "runs" VALUES(1,1700000000.0,1700000003.0,'old-host',4242,2,1,0);
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO "schema_version" VALUES(1);
CREATE INDEX results_url_time ON results (url, checked_at);
CREATE INDEX results_time ON results (checked_at);
COMMIT;
