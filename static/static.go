// Package static embeds the built CSS, scripts and icons, so the binary
// needs no npm at run time.
package static

import "embed"

// FS holds the files served under /static/.
//
//go:embed app.css favicon.svg copy.js embed.js
var FS embed.FS
