// Package migrations embeds the ordered SQL migrations.
package migrations

import "embed"

// FS holds the migration files, applied in file-name order: SQLite's at
// the top, PostgreSQL's under postgres/.
//
//go:embed *.sql postgres/*.sql
var FS embed.FS
