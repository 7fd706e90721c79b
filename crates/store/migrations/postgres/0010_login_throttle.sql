-- Reserved for the login throttle work; filled in by its change.
SELECT 1;
