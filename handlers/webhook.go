package handlers

import (
	"errors"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/billing"
)

// maxWebhookBody bounds what an unauthenticated caller can make us read.
const maxWebhookBody = 64 << 10

// ProviderWebhook receives the payment provider's signed events. The
// provider verifies and parses them; only a verified event changes
// anything, and each event applies once.
func (h *Handlers) ProviderWebhook(c *gin.Context) {
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, maxWebhookBody+1))
	if err != nil || len(body) > maxWebhookBody {
		jsonError(c, http.StatusBadRequest, "The webhook body could not be read or is larger than 64 KiB.")
		return
	}
	if err := h.Billing.ReceiveWebhook(c.Request.Context(), c.Request.Header, body); err != nil {
		if errors.Is(err, billing.ErrBadWebhook) {
			h.Log.Warn("webhook refused", "err", err, "request_id", RequestID(c))
		}
		h.apiFail(c, err) // a 5xx makes the provider deliver it again later
		return
	}
	c.JSON(http.StatusOK, gin.H{"received": true})
}

// Healthz answers whether the server is up and its database answers and
// takes writes: a full disk or a read-only file still answers reads, and
// a portal that cannot write cannot take payments.
func (h *Handlers) Healthz(c *gin.Context) {
	if err := h.Ping(c.Request.Context()); err != nil {
		h.Log.Error("healthz: database", "err", err)
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "database": "unreachable"})
		return
	}
	if err := h.Writable(c.Request.Context()); err != nil {
		h.Log.Error("healthz: database", "err", err)
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "database": "read-only"})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ok", "database": "writable"})
}
