// Package migrations embeds the ordered SQL migrations.
package migrations

import "embed"

// FS holds the migration files, applied in file-name order.
//
//go:embed *.sql
var FS embed.FS
