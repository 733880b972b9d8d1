BEGIN TRANSACTION;
CREATE TABLE aliases (
    collection_id INTEGER NOT NULL REFERENCES collections(id),
    alias TEXT NOT NULL,
    version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    PRIMARY KEY (collection_id, alias)
);
INSERT INTO "aliases" VALUES(1,'best',1);
CREATE TABLE blobs (
    digest TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    data BLOB,
    created_at REAL NOT NULL
);
INSERT INTO "blobs" VALUES('xMpCOKC5I4INzFCab3WEmw==',1,X'31',1.79577362058262443543e+09);
INSERT INTO "blobs" VALUES('yB5yjZ1ML2NvBn+JzBSGLA==',1,X'32',1.79577362058997225756e+09);
INSERT INTO "blobs" VALUES('7MvIfktc4v4oMI/Z8qe68w==',1,X'33',1.795773620593701601e+09);
INSERT INTO "blobs" VALUES('svX/R0NmcbblM9jcNhSEXQ==',1,X'67',1.7957736205971648693e+09);
CREATE TABLE collections (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id),
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    next_index INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    UNIQUE (project_id, name)
);
INSERT INTO "collections" VALUES(1,1,'data','dataset','',3,1.79577362058279919624e+09);
INSERT INTO "collections" VALUES(2,1,'gone','dataset','',1,1.79577362059729337697e+09);
CREATE TABLE entries (
    version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    digest TEXT NOT NULL,
    size INTEGER,
    ref TEXT,
    extra TEXT,
    birth_artifact_id TEXT,
    PRIMARY KEY (version_id, path)
) WITHOUT ROWID;
INSERT INTO "entries" VALUES(1,'f.txt','xMpCOKC5I4INzFCab3WEmw==',1,NULL,NULL,NULL);
INSERT INTO "entries" VALUES(2,'f.txt','yB5yjZ1ML2NvBn+JzBSGLA==',1,NULL,NULL,NULL);
INSERT INTO "entries" VALUES(3,'f.txt','7MvIfktc4v4oMI/Z8qe68w==',1,NULL,NULL,NULL);
INSERT INTO "entries" VALUES(4,'g.txt','svX/R0NmcbblM9jcNhSEXQ==',1,NULL,NULL,NULL);
CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL
);
INSERT INTO "projects" VALUES(1,'proj',1.79577362057869243617e+09);
CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id),
    name TEXT NOT NULL,
    job_type TEXT,
    config TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL,
    created_at REAL NOT NULL,
    finished_at REAL
);
INSERT INTO "runs" VALUES('pi5otbwu',1,'warm-valley-1',NULL,'{}','finished',1.79577362057876086234e+09,1.79577362059886956211e+09);
CREATE TABLE store_meta (change_seq INTEGER NOT NULL);
INSERT INTO "store_meta" VALUES(8);
CREATE TABLE usage (
    run_id TEXT NOT NULL REFERENCES runs(id),
    version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    PRIMARY KEY (run_id, version_id)
) WITHOUT ROWID;
CREATE TABLE versions (
    id INTEGER PRIMARY KEY,
    collection_id INTEGER NOT NULL REFERENCES collections(id),
    version_index INTEGER NOT NULL,
    digest TEXT NOT NULL,
    size INTEGER NOT NULL,
    file_count INTEGER NOT NULL,
    created_at REAL NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    metadata TEXT NOT NULL DEFAULT '{}',
    storage_policy_config TEXT NOT NULL DEFAULT '{}',
    producer_run_id TEXT REFERENCES runs(id),
    trashed_at REAL,  -- when it went to the Trash, NULL for a live version
    trashed_aliases TEXT,  -- JSON list of the aliases it had, given back on restore
    UNIQUE (collection_id, version_index)
);
INSERT INTO "versions" VALUES(1,1,0,'1c8955d004685a2a76e5dbe280009b90',1,1,1.79577362058325290679e+09,'','{}','{"storageLayout": "V2"}','pi5otbwu',NULL,NULL);
INSERT INTO "versions" VALUES(2,1,1,'c62f59a5d52dc4a7a3876b833336e84f',1,1,1.79577362059041666987e+09,'','{}','{"storageLayout": "V2"}','pi5otbwu',NULL,NULL);
INSERT INTO "versions" VALUES(3,1,2,'cdcd67c8b7532e57d77874cb30d99aa2',1,1,1.79577362059403467181e+09,'','{}','{"storageLayout": "V2"}','pi5otbwu',1.79577362059943127633e+09,'[]');
INSERT INTO "versions" VALUES(4,2,0,'cecfa20cf7b98cd5671ed69a58cef30a',1,1,1.79577362059747409816e+09,'','{}','{"storageLayout": "V2"}','pi5otbwu',NULL,NULL);
CREATE INDEX collections_type ON collections(project_id, type);
CREATE INDEX runs_project ON runs(project_id, created_at);
CREATE INDEX versions_digest ON versions(collection_id, digest);
CREATE INDEX versions_producer ON versions(producer_run_id);
CREATE INDEX aliases_version ON aliases(version_id);
CREATE INDEX entries_digest ON entries(digest);
CREATE INDEX usage_version ON usage(version_id);
CREATE VIEW live_versions AS SELECT * FROM versions WHERE trashed_at IS NULL;
CREATE INDEX versions_trashed ON versions(trashed_at) WHERE trashed_at IS NOT NULL;
COMMIT;