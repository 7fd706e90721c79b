-- Sổ đăng ký văn bản đi — the register of issued documents: each cluster numbers its
-- documents of one kind (symbol "BC-CTĐ") from 1 within a calendar year, and a period's
-- report keeps the number it was issued with.
CREATE TABLE document_number (
    cluster     TEXT NOT NULL,
    year        INTEGER NOT NULL,
    symbol      TEXT NOT NULL,
    number      INTEGER NOT NULL,
    period      TEXT NOT NULL,
    issued_at   TEXT NOT NULL,
    issued_by   TEXT NOT NULL,
    PRIMARY KEY (cluster, year, symbol, number),
    UNIQUE (cluster, symbol, period)
);
