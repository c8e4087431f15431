package handlers

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/views"
)

// MailOutbox lists mail to customers.
type MailOutbox interface {
	RecentMails(ctx context.Context, limit int) ([]billing.Mail, error)
}

// InvoiceRenderer renders invoices as PDFs.
type InvoiceRenderer interface {
	Render(inv billing.Invoice) ([]byte, error)
	Filename(inv billing.Invoice) string
}

// ManageMail lists the newest mail to customers and where each stands.
func (h *Handlers) ManageMail(c *gin.Context) {
	h.page(func(c *gin.Context) error {
		mails, err := h.Mail.RecentMails(c.Request.Context(), 100)
		if err != nil {
			return err
		}
		p := views.MailPage{Page: h.basePage(c, "Mail"), Sending: h.MailSending}
		p.Nav = "mail"
		for _, m := range mails {
			row := views.MailRow{Created: m.CreatedAt.Format("2 Jan 2006 15:04:05 UTC"), To: m.To, Kind: string(m.Kind),
				Subject: m.Subject, Attempts: m.Attempts, LastError: m.LastError}
			if m.UserID != 0 {
				row.CustomerURL = fmt.Sprintf("/manage/customers/%d", m.UserID)
			}
			row.State, row.StateKind = mailState(m, h.MailSending)
			p.Rows = append(p.Rows, row)
		}
		h.render(c, http.StatusOK, views.Mail(p))
		return nil
	})(c)
}

// mailState says where a mail stands, in words for managers.
func mailState(m billing.Mail, sending bool) (string, string) {
	switch m.Status {
	case billing.MailSent:
		return "Sent " + m.SentAt.Format("2 Jan 15:04 UTC"), "sent"
	case billing.MailFailed:
		return "Failed: gave up", "failed"
	case billing.MailSending:
		// Claimed and never recorded: the process stopped mid-send. It is
		// not retried, so it cannot arrive twice; it may not have arrived.
		return "Unknown: sending was interrupted " + m.ClaimedAt.Format("2 Jan 15:04 UTC"), "unknown"
	}
	switch {
	case !sending:
		return "Waiting for SMTP_URL", "waiting"
	case m.Attempts > 0:
		return "Retrying at " + m.NextAttemptAt.Format("15:04:05 UTC"), "waiting"
	}
	return "Queued", "waiting"
}
