ALTER TABLE `divisions` ADD `status` text DEFAULT 'active' NOT NULL;--> statement-breakpoint
ALTER TABLE `divisions` ADD `retired_at` text;--> statement-breakpoint
ALTER TABLE `divisions` ADD `version` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `divisions` ADD `updated_at` text DEFAULT '' NOT NULL;--> statement-breakpoint
-- Divisions become editable (rename, move, retire): existing rows start at version 1, updated when created.
UPDATE `divisions` SET `updated_at` = `created_at` WHERE `updated_at` = '';
