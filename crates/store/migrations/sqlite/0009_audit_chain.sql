-- Reserved for the audit chain work; filled in by its change.
SELECT 1;
