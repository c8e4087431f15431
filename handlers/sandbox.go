package handlers

import (
	"errors"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/checkout/sandbox"
	"github.com/billingportal/portal/views"
	"github.com/billingportal/portal/webhooksig"
)

// SandboxCheckoutPage is the sandbox provider's payment page.
func (h *Handlers) SandboxCheckoutPage(c *gin.Context) {
	h.page(func(c *gin.Context) error {
		s, err := h.Sandbox.Session(c.Request.Context(), c.Param("id"))
		if err != nil {
			return err
		}
		c.Header("Content-Security-Policy", h.SandboxCSP)
		h.render(c, http.StatusOK, views.SandboxCheckout(views.SandboxPage{
			Title: "Pay " + s.Amount.String(), SessionID: s.ID, Description: s.Description, Email: s.Email,
			Amount: s.Amount.String(), Status: string(s.Status), ReturnURL: s.ReturnURL,
		}))
		return nil
	})(c)
}

// SandboxCheckoutComplete pays or declines, then sends the browser back to
// the portal as a hosted checkout would.
func (h *Handlers) SandboxCheckoutComplete(pay bool) gin.HandlerFunc {
	return h.page(func(c *gin.Context) error {
		s, err := h.Sandbox.Complete(c.Request.Context(), c.Param("id"), pay)
		if errors.Is(err, sandbox.ErrNotPayable) {
			c.Redirect(http.StatusSeeOther, "/sandbox/checkout/"+s.ID)
			return nil
		}
		if err != nil {
			return err
		}
		c.Redirect(http.StatusSeeOther, s.ReturnURL)
		return nil
	})
}

// maxWebhookBody bounds what an unauthenticated caller can make us read.
const maxWebhookBody = 64 << 10

// SandboxWebhook receives the sandbox provider's signed events. Only a
// verified event changes anything, and each event applies once.
func (h *Handlers) SandboxWebhook(c *gin.Context) {
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, maxWebhookBody+1))
	if err != nil || len(body) > maxWebhookBody {
		jsonError(c, http.StatusBadRequest, "The webhook body could not be read or is larger than 64 KiB.")
		return
	}
	if err := webhooksig.Verify(c.GetHeader(webhooksig.Header), body, h.WebhookSecrets, h.Wall.Now()); err != nil {
		h.Log.Warn("webhook refused", "err", err, "request_id", RequestID(c))
		jsonError(c, http.StatusBadRequest, "The webhook signature is missing, stale or wrong.", detail{Type: "signature", Message: err.Error()})
		return
	}
	ev, err := sandbox.ParseEvent(body)
	if err != nil {
		jsonError(c, http.StatusBadRequest, "The webhook body is not a sandbox event.", detail{Type: "body", Message: err.Error()})
		return
	}
	if err := h.Billing.ApplyPaymentEvent(c.Request.Context(), ev); err != nil {
		h.Log.Error("apply payment event", "err", err, "event", ev.EventID, "request_id", RequestID(c))
		jsonError(c, http.StatusInternalServerError, "The event could not be applied; retry later.")
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
