-- Sealed ballots (see store::emulation::ballot and docs/decisions.md "The vote: papers are
-- sealed while the ballot is open"). While a ballot is open its papers are stored only
-- encrypted under the installation's key, padded to one length per ballot, so whatever
-- ties a paper's row to its voter's row (the WAL's commit order, pages written together)
-- ties it to ciphertext. Closing opens them, writes them in the clear in a shuffled order
-- in one transaction, and seals the result: a hash chain over the counted papers whose
-- head is printed on the record of the count and MACed under the key.
CREATE TABLE ballot_sealed_paper (
    ballot_id  INTEGER NOT NULL REFERENCES ballot (id),
    id         TEXT NOT NULL,
    sealed     TEXT NOT NULL,
    PRIMARY KEY (ballot_id, id)
) WITHOUT ROWID;

CREATE TABLE ballot_counted_paper (
    ballot_id  INTEGER NOT NULL REFERENCES ballot (id),
    position   INTEGER NOT NULL,
    answers    TEXT NOT NULL,
    PRIMARY KEY (ballot_id, position)
) WITHOUT ROWID;

-- The seal, written when the ballot closes: the short head printed on the record
-- ("3F9A-1B2C-5D6E-7F80") and the MAC of the full chain head under the key.
ALTER TABLE ballot ADD COLUMN seal_head TEXT;
ALTER TABLE ballot ADD COLUMN seal_mac TEXT;

-- Papers of ballots closed by an older version move to the counted table as they are (in
-- the order of the random ids closing gave them); those ballots have no seal, and say so.
INSERT INTO ballot_counted_paper (ballot_id, position, answers)
SELECT p.ballot_id, ROW_NUMBER() OVER (PARTITION BY p.ballot_id ORDER BY p.id) - 1, p.answers
FROM ballot_paper p JOIN ballot b ON b.id = p.ballot_id
WHERE b.state = 'closed';
DELETE FROM ballot_paper WHERE ballot_id IN (SELECT id FROM ballot WHERE state = 'closed');
-- `ballot_paper` now holds only papers an older version stored in the clear for a ballot
-- still open at the upgrade; closing that ballot counts them and empties it.
