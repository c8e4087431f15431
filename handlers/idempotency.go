package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// IdempotencyStore keeps the first answer to each Idempotency-Key.
type IdempotencyStore interface {
	IdempotentResponse(ctx context.Context, principal, key string) (bodyHash []byte, status int, body []byte, ok bool, err error)
	SaveIdempotentResponse(ctx context.Context, principal, key string, bodyHash []byte, status int, body []byte, at time.Time) error
}

// maxIdempotencyKey bounds the header, as payment APIs do.
const maxIdempotencyKey = 255

// Idempotent replays the first answer to a POST or PUT sent again with the
// same Idempotency-Key and body, and refuses the key with another body.
// Keys belong to the caller that sent them. Server errors are not stored,
// so a retry after one runs again.
func (h *Handlers) Idempotent(c *gin.Context) {
	key := c.GetHeader("Idempotency-Key")
	if key == "" {
		c.Next()
		return
	}
	if len(key) > maxIdempotencyKey {
		jsonError(c, http.StatusBadRequest, "Idempotency-Key must be at most 255 characters.")
		return
	}
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, maxAPIBody+1))
	if err != nil {
		jsonError(c, http.StatusBadRequest, "The body could not be read.")
		return
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.Sum256(append([]byte(c.Request.Method+" "+c.Request.URL.RequestURI()+"\n"), body...))
	who := caller(c).key()
	ctx := c.Request.Context()
	storedHash, status, stored, ok, err := h.Idempotency.IdempotentResponse(ctx, who, key)
	if err != nil {
		h.apiFail(c, err)
		return
	}
	if ok {
		if !bytes.Equal(storedHash, sum[:]) {
			jsonError(c, http.StatusConflict, "This Idempotency-Key was used with a different request; use a new key for a new request.")
			return
		}
		c.Header("Idempotent-Replayed", "true")
		c.Data(status, "application/json; charset=utf-8", stored)
		c.Abort()
		return
	}
	rec := &bodyRecorder{ResponseWriter: c.Writer}
	c.Writer = rec
	c.Next()
	if st := rec.Status(); st < 500 {
		if err := h.Idempotency.SaveIdempotentResponse(ctx, who, key, sum[:], st, rec.buf.Bytes(), h.Wall.Now()); err != nil {
			h.Log.Error("save idempotent response", "err", err, "request_id", RequestID(c))
		}
	}
}

// bodyRecorder keeps a copy of what a handler writes.
type bodyRecorder struct {
	gin.ResponseWriter
	buf bytes.Buffer
}

func (r *bodyRecorder) Write(b []byte) (int, error) {
	r.buf.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *bodyRecorder) WriteString(s string) (int, error) {
	r.buf.WriteString(s)
	return r.ResponseWriter.WriteString(s)
}
