package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/billing"
)

// IdempotencyStore keeps each Idempotency-Key's first answer. A key is
// claimed before the request runs, in one statement that only one caller
// can win, so concurrent duplicates never run twice.
type IdempotencyStore interface {
	ClaimIdempotencyKey(ctx context.Context, principal, key string, bodyHash []byte, now time.Time, ttl, stale time.Duration) (billing.IdempotencyClaim, error)
	SaveIdempotentResponse(ctx context.Context, principal, key string, status int, body []byte) error
	ReleaseIdempotencyKey(ctx context.Context, principal, key string) error
}

// maxIdempotencyKey bounds the header, as payment APIs do.
const maxIdempotencyKey = 255

// IdempotencyTTL is how long a key's answer is kept and replayed.
const IdempotencyTTL = 24 * time.Hour

// idempotencyStale is how long a claim may run before a retry may take it
// over: a request that died with its process leaves its claim behind.
const idempotencyStale = 2 * time.Minute

// Idempotent runs a POST or PUT once per Idempotency-Key and caller: the
// same key with the same body replays the first answer, a concurrent
// duplicate gets 409 while the first runs, another body 422. Server errors
// are not kept, so a retry after one runs again. Keys expire after a day.
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
	claim, err := h.Idempotency.ClaimIdempotencyKey(ctx, who, key, sum[:], h.Wall.Now(), IdempotencyTTL, idempotencyStale)
	switch {
	case err != nil:
		h.apiFail(c, err)
		return
	case claim.Mismatch:
		jsonError(c, http.StatusUnprocessableEntity, "This Idempotency-Key was used with a different request; use a new key for a new request.")
		return
	case claim.InProgress:
		c.Header("Retry-After", "1")
		jsonError(c, http.StatusConflict, "A request with this Idempotency-Key is in progress; retry in a moment to get its answer.")
		return
	case !claim.Claimed:
		c.Header("Idempotent-Replayed", "true")
		c.Data(claim.Status, "application/json; charset=utf-8", claim.Body)
		c.Abort()
		return
	}
	rec := &bodyRecorder{ResponseWriter: c.Writer}
	c.Writer = rec
	c.Next()
	// The answer is kept even if the client went away meanwhile.
	ctx = context.WithoutCancel(ctx)
	if st := rec.Status(); st < 500 {
		err = h.Idempotency.SaveIdempotentResponse(ctx, who, key, st, rec.buf.Bytes())
	} else {
		err = h.Idempotency.ReleaseIdempotencyKey(ctx, who, key)
	}
	if err != nil {
		h.Log.Error("idempotency key", "err", err, "request_id", RequestID(c))
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
