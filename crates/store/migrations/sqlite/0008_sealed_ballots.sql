-- Reserved for the sealed ballots work; filled in by its change.
SELECT 1;
