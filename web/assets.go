package web

import (
	"mime"
	"net/http"
	"path"

	"github.com/gin-gonic/gin"
	"github.com/klauspost/compress/gzhttp"

	"github.com/billingportal/portal/static"
)

// serveStatic answers /static/<name>.<hash>.<ext> with the embedded file.
// The name changes whenever the content does, so browsers may keep it for
// a year without asking again. Anything else, a directory included, is 404.
func serveStatic(c *gin.Context) {
	a, ok := static.Lookup(c.Param("name"))
	if !ok {
		c.Status(http.StatusNotFound)
		return
	}
	c.Header("Cache-Control", "public, max-age=31536000, immutable")
	c.Data(http.StatusOK, mime.TypeByExtension(path.Ext(a.Name)), a.Body)
}

// compress gzips responses of the text types the portal sends (HTML, CSS,
// JavaScript, JSON, SVG) when the client accepts it. gzhttp skips small
// bodies, where the header would cost more than it saves.
func compress(h http.Handler) http.Handler {
	wrap, err := gzhttp.NewWrapper(gzhttp.ContentTypes([]string{"text/html", "text/css", "text/javascript",
		"application/javascript", "application/json", "image/svg+xml", "text/plain"}))
	if err != nil {
		panic(err) // the options above are constant
	}
	return wrap(h)
}
