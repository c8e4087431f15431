// Package static embeds the built CSS, scripts and icons, so the binary
// needs no npm at run time, and names each file by its content so browsers
// may cache it for good.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"path"
	"strings"
)

// FS holds the files served under /static/.
//
//go:embed app.css favicon.svg copy.js embed.js
var FS embed.FS

// Asset is one embedded file under its content-hashed name.
type Asset struct {
	Name string // the file's own name, e.g. app.css
	Body []byte
}

var (
	byHashed = map[string]Asset{}  // "app.1a2b3c4d5e6f.css" → the file
	hashed   = map[string]string{} // "app.css" → "/static/app.1a2b3c4d5e6f.css"
)

func init() {
	entries, err := fs.ReadDir(FS, ".")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		body, err := FS.ReadFile(e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(body)
		ext := path.Ext(e.Name())
		name := strings.TrimSuffix(e.Name(), ext) + "." + hex.EncodeToString(sum[:6]) + ext
		byHashed[name] = Asset{Name: e.Name(), Body: body}
		hashed[e.Name()] = "/static/" + name
	}
}

// URL is the address of an embedded file under its content-hashed name,
// e.g. URL("app.css") = "/static/app.1a2b3c4d5e6f.css". A name that is not
// embedded panics: it is a programming error caught by any test that
// renders the page.
func URL(name string) string {
	u, ok := hashed[name]
	if !ok {
		panic("static: no embedded file " + name)
	}
	return u
}

// Lookup finds a file by its content-hashed name (without /static/).
func Lookup(hashedName string) (Asset, bool) {
	a, ok := byHashed[hashedName]
	return a, ok
}
