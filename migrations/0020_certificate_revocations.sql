CREATE INDEX `certificates_revoked_idx` ON `certificates` (`revoked_at`,`id`) WHERE "certificates"."revoked_at" is not null;
