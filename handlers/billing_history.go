package handlers

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/views"
)

// BillingHistory lists the customer's invoices.
func (h *Handlers) BillingHistory(c *gin.Context) {
	h.page(func(c *gin.Context) error {
		invs, err := h.Billing.Invoices(c.Request.Context(), customer(c).ID)
		if err != nil {
			return err
		}
		sub, err := h.Billing.Subscription(c.Request.Context(), customer(c).ID)
		if err != nil {
			return err
		}
		entries, _, err := h.Billing.AuditLog(c.Request.Context(), billing.AuditFilter{SubjectID: customer(c).ID, Limit: 50})
		if err != nil {
			return err
		}
		p := views.HistoryPage{Page: h.basePage(c, "Billing history"), Invoices: invoiceRows(invs, sub.OverdueInvoiceID), Activity: activityRows(entries, customer(c).ID)}
		p.Nav = "history"
		h.render(c, http.StatusOK, views.History(p))
		return nil
	})(c)
}

// invoiceRows lists invoices for the customer's history, each with its PDF;
// the overdue one, which checkout can still settle, offers "Pay now".
func invoiceRows(invs []billing.Invoice, overdueID int64) []views.InvoiceRow {
	rows := make([]views.InvoiceRow, 0, len(invs))
	for _, inv := range invs {
		row := views.InvoiceRow{Date: day(inv.CreatedAt), Description: inv.Description, Amount: inv.Amount.String(),
			Status: string(inv.Status), StatusLabel: "Paid", ByManager: inv.ByManager, Number: inv.Number,
			PDFURL: fmt.Sprintf("/billing/invoices/%d.pdf", inv.ID), PayNow: inv.ID == overdueID && inv.Status == billing.InvoiceFailed}
		if inv.Status != billing.InvoicePaid {
			row.StatusLabel = "Payment failed"
		}
		if !inv.PeriodStart.IsZero() && !inv.PeriodEnd.IsZero() {
			row.Period = shortDay(inv.PeriodStart) + " to " + shortDay(inv.PeriodEnd)
		}
		rows = append(rows, row)
	}
	return rows
}

// activityWords says what each audited action means to the customer.
var activityWords = map[string]string{
	"plan.changed": "Plan changed", "change.scheduled": "Plan change scheduled", "change.unscheduled": "Scheduled change undone",
	"change.applied": "Scheduled change took effect", "subscription.cancel_requested": "Cancellation requested",
	"subscription.resumed": "Cancellation withdrawn", "subscription.renewed": "Subscription renewed",
	"renewal.failed": "Renewal payment failed", "retry.failed": "Payment retry failed", "overdue.paid": "Overdue payment made",
	"overdue.recovered": "Overdue payment collected", "subscription.ended": "Subscription ended",
	"subscription.canceled_unpaid": "Subscription cancelled after unpaid renewal", "charge.credited": "Payment added to account credit",
	"impersonation.started": "Your account manager started helping you", "impersonation.stopped": "Your account manager finished helping you",
}

func activityRows(entries []billing.AuditEntry, self int64) []views.ActivityRow {
	var rows []views.ActivityRow
	for _, e := range entries {
		what, ok := activityWords[e.Action]
		if !ok {
			continue
		}
		by := "Automatic"
		switch {
		case e.Actor.Email == billing.ProviderActor.Email:
			by = "After your payment"
		case e.Impersonated:
			by = "Your account manager"
		case e.Actor.UserID == self:
			by = "You"
		}
		rows = append(rows, views.ActivityRow{Date: e.At.Format("2 January 2006, 15:04 UTC"), What: what, By: by})
	}
	return rows
}
