package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/views"
)

// CheckoutReturn is where the provider sends the browser back. It proves
// nothing by itself: it shows what the verified webhook has recorded, and
// reloads until the webhook has arrived.
func (h *Handlers) CheckoutReturn(c *gin.Context) {
	h.page(func(c *gin.Context) error {
		id := c.Query("session_id")
		if id == "" {
			return billing.Invalid("session_id", "The link is missing its checkout session id.")
		}
		cs, err := h.Billing.CheckoutForCustomer(c.Request.Context(), customer(c).ID, id)
		if err != nil {
			return err
		}
		plan, err := h.Billing.Plan(c.Request.Context(), cs.PlanID)
		if err != nil {
			return err
		}
		p := views.ReturnPage{Page: h.basePage(c, "Payment"), Amount: cs.Amount.String(), Plan: plan.Name()}
		switch cs.Status {
		case billing.CheckoutCompleted:
			p.Outcome, p.Heading = "paid", "Payment received"
			p.Message = "Thank you. You are now on " + plan.Name() + "."
			if cs.Purpose == billing.ForOverdue {
				p.Message = "Thank you. Your overdue payment is settled and " + plan.Name() + " continues."
			}
		case billing.CheckoutFailed:
			p.Outcome, p.Heading = "declined", "Payment declined"
			p.Message = "Your payment did not go through and nothing was charged. Your plan has not changed."
		case billing.CheckoutExpired:
			p.Outcome, p.Heading = "expired", "Checkout expired"
			p.Message = "This checkout is no longer valid and nothing was charged. Your plan has not changed; start the change again to pay."
		default:
			p.Outcome, p.Heading = "processing", "Confirming your payment…"
			p.Message = "We are waiting for the payment provider to confirm. This page refreshes by itself."
			p.RefreshSeconds = 2
		}
		p.Title = p.Heading
		h.render(c, http.StatusOK, views.CheckoutReturn(p))
		return nil
	})(c)
}

// BillingHistory lists the customer's invoices.
func (h *Handlers) BillingHistory(c *gin.Context) {
	h.page(func(c *gin.Context) error {
		invs, err := h.Billing.Invoices(c.Request.Context(), customer(c).ID)
		if err != nil {
			return err
		}
		entries, _, err := h.Billing.AuditLog(c.Request.Context(), billing.AuditFilter{SubjectID: customer(c).ID, Limit: 50})
		if err != nil {
			return err
		}
		p := views.HistoryPage{Page: h.basePage(c, "Billing history"), Invoices: invoiceRows(invs), Activity: activityRows(entries, customer(c).ID)}
		p.Nav = "history"
		h.render(c, http.StatusOK, views.History(p))
		return nil
	})(c)
}

func invoiceRows(invs []billing.Invoice) []views.InvoiceRow {
	rows := make([]views.InvoiceRow, 0, len(invs))
	for _, inv := range invs {
		row := views.InvoiceRow{Date: day(inv.CreatedAt), Description: inv.Description, Amount: inv.Amount.String(),
			Status: string(inv.Status), StatusLabel: "Paid", ByManager: inv.ByManager}
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
