CREATE TABLE `certificates` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`kind` text NOT NULL,
	`holder_kind` text NOT NULL,
	`member_id` text,
	`volunteer_id` text,
	`division_path` text NOT NULL,
	`source_id` text,
	`disclosure` text NOT NULL,
	`facts` text NOT NULL,
	`token` text NOT NULL,
	`kid` text NOT NULL,
	`status` text NOT NULL,
	`issued_by` text NOT NULL,
	`issued_at` text NOT NULL,
	`expires_at` text NOT NULL,
	`revoked_at` text,
	`revocation_reason` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `certificates_tenant_id_idx` ON `certificates` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `certificates_tenant_member_idx` ON `certificates` (`tenant_id`,`member_id`,`id`);--> statement-breakpoint
CREATE INDEX `certificates_tenant_volunteer_idx` ON `certificates` (`tenant_id`,`volunteer_id`,`id`);