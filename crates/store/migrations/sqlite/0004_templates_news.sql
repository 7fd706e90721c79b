-- Report templates edited by users, and the public news page's articles.
CREATE TABLE report_template (
    name        TEXT PRIMARY KEY,
    body        TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL
);

CREATE TABLE news_article (
    id            INTEGER PRIMARY KEY,
    category      TEXT NOT NULL,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    cluster       TEXT,
    period        TEXT,
    author        TEXT NOT NULL,
    published_at  TEXT NOT NULL,
    published_by  TEXT NOT NULL
);
CREATE INDEX news_article_published ON news_article (published_at);
