package web

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// maxBody bounds every request body. The portal's forms and API requests
// are a few hundred bytes; the API's own limit is the same 64 KiB.
const maxBody = 64 << 10

// limitBody refuses large bodies with 413 before reading them when their
// length is declared, and reads at most maxBody of the others, so no
// request can make the server hold more than that.
func limitBody(c *gin.Context) {
	if c.Request.Body == nil || c.Request.Body == http.NoBody {
		c.Next()
		return
	}
	if c.Request.ContentLength > maxBody {
		tooLarge(c)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		tooLarge(c)
		return
	}
	if err != nil {
		c.AbortWithStatus(http.StatusBadRequest)
		return
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	c.Next()
}

// tooLarge answers 413 in the caller's language: JSON for the API, text
// otherwise, and closes the connection so the rest of the body is not read.
func tooLarge(c *gin.Context) {
	c.Header("Connection", "close")
	msg := "The request is larger than 64 KiB; nothing was changed."
	if strings.HasPrefix(c.Request.URL.Path, "/api/") {
		c.AbortWithStatusJSON(http.StatusRequestEntityTooLarge, gin.H{"code": http.StatusRequestEntityTooLarge, "message": msg, "details": []any{}})
		return
	}
	c.Header("Content-Type", "text/plain; charset=utf-8")
	c.AbortWithStatus(http.StatusRequestEntityTooLarge)
	_, _ = c.Writer.WriteString(msg + "\n")
}

// crossOrigin refuses state-changing requests from other sites with Go's
// CrossOriginProtection (Sec-Fetch-Site, then Origin against Host; no token
// needed, and non-browser callers such as webhooks pass). It runs inside
// the middleware chain, so a refusal carries the security headers and
// reaches the request log and the metrics.
func crossOrigin(cop *http.CrossOriginProtection) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := cop.Check(c.Request); err != nil {
			c.Header("Content-Type", "text/plain; charset=utf-8")
			c.AbortWithStatus(http.StatusForbidden)
			_, _ = c.Writer.WriteString("Forbidden: cross-site request refused.\n")
			return
		}
		c.Next()
	}
}
