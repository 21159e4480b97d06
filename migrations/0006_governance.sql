CREATE TABLE `duty_items` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`list_id` text NOT NULL,
	`area` text NOT NULL,
	`number` integer NOT NULL,
	`name` text NOT NULL,
	`content` text NOT NULL,
	`legal_basis` text NOT NULL,
	`kind` text NOT NULL,
	`lead_department` text,
	`effective_date` text,
	`template_item_id` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `duty_items_tenant_list_idx` ON `duty_items` (`tenant_id`,`list_id`,`id`);--> statement-breakpoint
CREATE INDEX `duty_items_tenant_list_kind_idx` ON `duty_items` (`tenant_id`,`list_id`,`kind`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `duty_items_tenant_list_number_uq` ON `duty_items` (`tenant_id`,`list_id`,`number`);--> statement-breakpoint
CREATE TABLE `duty_lists` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`level` text NOT NULL,
	`title` text NOT NULL,
	`edition` integer NOT NULL,
	`status` text NOT NULL,
	`template_id` text,
	`effective_date` text,
	`published_at` text,
	`superseded_at` text,
	`superseded_by` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `duty_lists_tenant_id_idx` ON `duty_lists` (`tenant_id`,`id`);--> statement-breakpoint
CREATE INDEX `duty_lists_tenant_level_status_idx` ON `duty_lists` (`tenant_id`,`level`,`status`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `duty_lists_tenant_level_edition_uq` ON `duty_lists` (`tenant_id`,`level`,`edition`);