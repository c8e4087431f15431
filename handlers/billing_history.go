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
		credit, err := h.creditView(c, customer(c).ID)
		if err != nil {
			return err
		}
		p := views.HistoryPage{Page: h.basePage(c, "Billing history"), Invoices: invoiceRows(invs, sub.OverdueInvoiceID), Credit: credit,
			Activity: activityRows(entries, customer(c).ID)}
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
		switch {
		case inv.Status != billing.InvoicePaid:
			row.StatusLabel = "Payment failed"
		case inv.Refunded > 0 && inv.Refunded >= inv.Amount.Amount:
			row.Status, row.StatusLabel = "refunded", "Refunded"
		case inv.Refunded > 0:
			row.Status, row.StatusLabel = "refunded", "Partly refunded ("+billing.Money{Amount: inv.Refunded, Currency: inv.Amount.Currency}.String()+")"
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
	"subscription.canceled_unpaid": "Subscription cancelled after unpaid renewal", "payment.credited": "Payment added to account credit",
	"payment.refunded": "Payment refunded", "overdue.paid_from_credit": "Overdue payment made from account credit",
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

// creditView lists the customer's account credit, newest movement first.
func (h *Handlers) creditView(c *gin.Context, userID int64) (views.CreditView, error) {
	entries, err := h.Billing.Credits(c.Request.Context(), userID)
	if err != nil {
		return views.CreditView{}, err
	}
	sub, err := h.Billing.Subscription(c.Request.Context(), userID)
	if err != nil {
		return views.CreditView{}, err
	}
	v := views.CreditView{Balance: sub.CreditMoney().String()}
	for _, e := range entries {
		row := views.CreditRow{Date: day(e.CreatedAt), What: "Used", Why: e.Note, Amount: e.Amount.String(), Added: e.Amount.Amount > 0}
		if row.Added {
			row.What, row.Amount = "Added", "+"+e.Amount.String()
		}
		v.Entries = append(v.Entries, row)
	}
	return v, nil
}
