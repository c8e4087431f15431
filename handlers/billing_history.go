package handlers

import (
	"fmt"
	"net/http"
	"strings"

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
		plans, err := h.Billing.Plans(c.Request.Context())
		if err != nil {
			return err
		}
		credit, err := h.creditView(c, customer(c).ID)
		if err != nil {
			return err
		}
		p := views.HistoryPage{Page: h.basePage(c, "Billing history"), Invoices: invoiceRows(invs, sub.OverdueInvoiceID), Credit: credit,
			Activity: activityRows(entries, customer(c).ID, priceList(plans))}
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
	"api_token.created": "API token created", "api_token.revoked": "API token revoked",
	"card.saved":            "Card for renewals changed",
	"impersonation.started": "Your account manager started helping you", "impersonation.stopped": "Your account manager finished helping you",
}

func activityRows(entries []billing.AuditEntry, self int64, prices map[string]string) []views.ActivityRow {
	var rows []views.ActivityRow
	for _, e := range entries {
		what, ok := activityWords[e.Action]
		if !ok {
			continue
		}
		by := "Automatic"
		switch {
		case e.Action == "card.saved":
			by = "Payment provider" // it reports a card saved on its page
		case e.Actor.Email == billing.ProviderActor.Email:
			by = "After your payment"
		case e.Impersonated:
			by = "Your account manager"
		case e.Actor.UserID == self:
			by = "You"
		}
		rows = append(rows, views.ActivityRow{Date: e.At.Format("2 January 2006, 15:04 UTC"), What: what,
			Detail: activityDetail(e, prices), By: by})
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
	v := views.CreditView{Whose: "your", Balance: sub.CreditMoney().String()}
	for _, e := range entries {
		row := views.CreditRow{Date: day(e.CreatedAt), What: creditWords[e.Reason], Why: sentence(e.Note), Amount: e.Amount.String(),
			Added: e.Amount.Amount > 0}
		if row.What == "" {
			row.What = "Credit adjusted"
		}
		if row.Added {
			row.Amount = "+" + row.Amount
		}
		v.Entries = append(v.Entries, row)
	}
	return v, nil
}

// creditWords names each kind of credit movement for the customer.
var creditWords = map[string]string{
	billing.CreditFromPayment: "A payment that could not apply", billing.CreditUnusedTime: "Unused time on your previous plan",
	billing.CreditUsed: "Credit used", billing.CreditRefunded: "Refunded to your card", "opening_balance": "Credit brought forward",
}

// sentence capitalises a note and ends it with a full stop.
func sentence(s string) string {
	if s == "" {
		return ""
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
