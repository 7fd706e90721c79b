-- Reserved for the scoped templates work; filled in by its change.
SELECT 1;
