-- Người ký văn bản — who signs a cluster's documents in a year, recorded once and printed
-- on the review, the pledge and the record of the count: the signer (authority line,
-- title, name), the secretary (thư ký) and the head of the counting committee.
CREATE TABLE cluster_signers (
    cluster          TEXT NOT NULL,
    year             INTEGER NOT NULL,
    chair_authority  TEXT NOT NULL,
    chair_title      TEXT NOT NULL,
    chair_name       TEXT NOT NULL,
    secretary        TEXT NOT NULL,
    teller           TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    updated_by       TEXT NOT NULL,
    PRIMARY KEY (cluster, year)
);
