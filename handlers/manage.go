package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/account"
	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/views"
)

// pageSize is how many rows a manager's list shows at a time.
const pageSize = 20

// Customers searches customers by email or name.
func (h *Handlers) Customers(c *gin.Context) {
	h.page(func(c *gin.Context) error {
		q := strings.TrimSpace(c.Query("q"))
		if err := maxLength("q", "search", q); err != nil {
			return err
		}
		offset := pageOffset(c)
		users, total, err := h.Accounts.SearchCustomers(c.Request.Context(), q, pageSize, offset)
		if err != nil {
			return err
		}
		p := views.CustomersPage{Page: h.basePage(c, "Customers"), Query: q, Total: total}
		p.Nav = "customers"
		for _, u := range users {
			sub, err := h.Billing.Subscription(c.Request.Context(), u.ID)
			if err != nil {
				return err
			}
			row := views.CustomerRow{URL: fmt.Sprintf("/manage/customers/%d", u.ID), Name: displayName(u),
				Email: u.Email, Plan: sub.Plan.Name(), Status: string(sub.Status), StatusLabel: sub.Status.Label()}
			if sub.CancelAtPeriodEnd {
				row.Status, row.StatusLabel = "cancelling", "Cancelling"
			}
			p.Customers = append(p.Customers, row)
		}
		p.Range, p.PrevURL, p.NextURL = pages(c, "/manage/customers", url.Values{"q": {q}}, offset, len(users), total)
		h.render(c, http.StatusOK, views.Customers(p))
		return nil
	})(c)
}

// Customer shows one customer: subscription, invoices, audit trail, and
// the form to act as them.
func (h *Handlers) Customer(c *gin.Context) {
	h.page(func(c *gin.Context) error { return h.renderCustomer(c, http.StatusOK, "", "") })(c)
}

func (h *Handlers) renderCustomer(c *gin.Context, status int, reason, msg string) error {
	ctx := c.Request.Context()
	u, err := h.customerParam(c)
	if err != nil {
		return err
	}
	sub, err := h.Billing.Subscription(ctx, u.ID)
	if err != nil {
		return err
	}
	invs, err := h.Billing.Invoices(ctx, u.ID)
	if err != nil {
		return err
	}
	audit, _, err := h.Billing.AuditLog(ctx, billing.AuditFilter{SubjectID: u.ID, Limit: pageSize})
	if err != nil {
		return err
	}
	credit, err := h.creditView(c, u.ID)
	if err != nil {
		return err
	}
	credit.Whose = "their"
	p := views.CustomerPage{Page: h.basePage(c, displayName(u)), ID: u.ID, Name: displayName(u), Email: u.Email, Disabled: u.Disabled,
		Current: currentPlanView(sub), Invoices: managerInvoiceRows(invs, u.ID), Credit: credit, Audit: auditRows(audit),
		AuditURL: fmt.Sprintf("/manage/audit?subject=%d", u.ID), Reason: reason, Error: msg}
	p.Current.CancelURL = "" // managers act through impersonation, not from here
	if p.Notice = subscriptionNotice(sub); p.Notice != nil {
		p.Notice.Actions = nil // the buttons act as the signed-in user: here, the manager
	}
	p.Nav = "customers"
	if sc, ok, err := h.Billing.ScheduledChangeOf(ctx, sub); err != nil {
		return err
	} else if ok {
		p.Scheduled = &views.Scheduled{PlanName: sc.Plan.Name(), Price: planPrice(sc.Plan), Date: day(sc.EffectiveAt)}
	}
	h.render(c, status, views.Customer(p))
	return nil
}

// customerParam loads the customer named by the :id path parameter;
// managers and unknown ids are not found.
func (h *Handlers) customerParam(c *gin.Context) (account.User, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return account.User{}, billing.ErrNotFound
	}
	u, err := h.Accounts.User(c.Request.Context(), id)
	if errors.Is(err, account.ErrNotFound) || (err == nil && u.Role != account.Customer) {
		return account.User{}, billing.ErrNotFound
	}
	return u, err
}

// maxReason bounds an impersonation reason.
const maxReason = 500

// Impersonate starts acting as the customer, with a stated reason.
func (h *Handlers) Impersonate(c *gin.Context) {
	h.page(func(c *gin.Context) error {
		cust, err := h.customerParam(c)
		if err != nil {
			return err
		}
		reason := strings.TrimSpace(c.PostForm("reason"))
		switch {
		case reason == "":
			return h.renderCustomer(c, http.StatusBadRequest, reason, "Say why you are acting as this customer.")
		case len([]rune(reason)) > maxReason:
			return h.renderCustomer(c, http.StatusBadRequest, reason, fmt.Sprintf("Keep the reason under %d characters.", maxReason))
		case cust.Disabled:
			return h.renderCustomer(c, http.StatusForbidden, reason, "This account is disabled; it cannot be impersonated.")
		}
		manager, _ := CurrentUser(c)
		token, id, err := h.Accounts.StartImpersonation(c.Request.Context(), h.Cookies.Token(c), cust.ID, reason)
		if errors.Is(err, account.ErrForbidden) {
			return billing.ErrForbidden
		}
		if err != nil {
			return err
		}
		if err := h.Cookies.Set(c, token); err != nil {
			return err
		}
		err = h.Billing.Audit(c.Request.Context(), billing.AuditEntry{
			Actor:   billing.Actor{UserID: manager.ID, Email: manager.Email, Impersonated: true, RequestID: RequestID(c), IP: c.ClientIP()},
			Subject: billing.Customer{ID: cust.ID, Email: cust.Email}, Action: "impersonation.started", Reason: reason,
			After: "until " + id.EndsAt.Format(time.RFC3339)})
		if err != nil {
			return err
		}
		c.Redirect(http.StatusSeeOther, "/subscription")
		return nil
	})(c)
}

// StopImpersonation ends acting as the customer and restores the manager.
func (h *Handlers) StopImpersonation(c *gin.Context) {
	h.page(func(c *gin.Context) error {
		if !Impersonating(c) {
			return billing.ErrNotFound
		}
		token, id, err := h.Accounts.StopImpersonation(c.Request.Context(), h.Cookies.Token(c))
		if err != nil {
			return err
		}
		if err := h.Cookies.Set(c, token); err != nil {
			return err
		}
		if err := h.auditStop(c, id); err != nil {
			return err
		}
		c.Redirect(http.StatusSeeOther, fmt.Sprintf("/manage/customers/%d", id.User.ID))
		return nil
	})(c)
}

func (h *Handlers) auditStop(c *gin.Context, id account.Identity) error {
	return h.Billing.Audit(c.Request.Context(), billing.AuditEntry{
		Actor:   billing.Actor{UserID: id.Impersonator.ID, Email: id.Impersonator.Email, Impersonated: true, RequestID: RequestID(c), IP: c.ClientIP()},
		Subject: billing.Customer{ID: id.User.ID, Email: id.User.Email}, Action: "impersonation.stopped", Reason: id.Reason})
}

// AuditLog lists the audit log for managers, filtered.
func (h *Handlers) AuditLog(c *gin.Context) {
	h.page(func(c *gin.Context) error {
		f := billing.AuditFilter{Actor: strings.TrimSpace(c.Query("actor")), Action: strings.TrimSpace(c.Query("action")),
			Limit: pageSize, Offset: pageOffset(c)}
		subject := strings.TrimSpace(c.Query("subject"))
		if err := errors.Join(maxLength("actor", "actor filter", f.Actor), maxLength("action", "action filter", f.Action)); err != nil {
			return err
		}
		if subject != "" {
			id, err := strconv.ParseInt(subject, 10, 64)
			if err != nil || id <= 0 {
				return billing.Invalid("subject", "The customer id must be a number, such as 2.")
			}
			f.SubjectID = id
		}
		rows, total, err := h.Billing.AuditLog(c.Request.Context(), f)
		if err != nil {
			return err
		}
		p := views.AuditPage{Page: h.basePage(c, "Audit log"), Actor: f.Actor, Action: f.Action, Subject: subject, Rows: auditRows(rows)}
		p.Nav = "audit"
		p.Range, p.PrevURL, p.NextURL = pages(c, "/manage/audit", url.Values{"actor": {f.Actor}, "action": {f.Action}, "subject": {subject}},
			f.Offset, len(rows), total)
		h.render(c, http.StatusOK, views.Audit(p))
		return nil
	})(c)
}

func auditRows(entries []billing.AuditEntry) []views.AuditRow {
	rows := make([]views.AuditRow, 0, len(entries))
	for _, e := range entries {
		rows = append(rows, views.AuditRow{At: e.At.Format("2 Jan 2006 15:04 UTC"), Actor: e.Actor.Email, Subject: e.Subject.Email,
			Impersonated: e.Impersonated, Action: e.Action, ActionLabel: auditLabel(e.Action), Reason: e.Reason,
			Before: readableAudit(e.Before), After: readableAudit(e.After), RequestID: e.Actor.RequestID, IP: e.Actor.IP})
	}
	return rows
}

// maxFilter bounds search and filter text: longer is never a real search,
// and SQLite refuses very long LIKE patterns.
const maxFilter = 100

// maxLength refuses a filter longer than maxFilter characters.
func maxLength(field, what, v string) error {
	if len([]rune(v)) > maxFilter {
		return billing.Invalid(field, "The %s is too long: use at most %d characters.", what, maxFilter)
	}
	return nil
}

// pageOffset reads ?page= (1-based); anything else is the first page.
func pageOffset(c *gin.Context) int {
	n, err := strconv.Atoi(c.Query("page"))
	if err != nil || n < 1 || n > 100000 {
		return 0
	}
	return (n - 1) * pageSize
}

// pages describes the current page and links to its neighbours.
func pages(c *gin.Context, path string, q url.Values, offset, shown, total int) (rng, prev, next string) {
	for k, v := range q {
		if len(v) == 0 || v[0] == "" {
			q.Del(k)
		}
	}
	link := func(page int) string {
		q.Set("page", strconv.Itoa(page))
		return path + "?" + q.Encode()
	}
	page := offset/pageSize + 1
	if offset > 0 {
		prev = link(page - 1)
	}
	if offset+shown < total {
		next = link(page + 1)
	}
	if total == 0 {
		return "No results", prev, next
	}
	return fmt.Sprintf("%d–%d of %d", offset+1, offset+shown, total), prev, next
}

func displayName(u account.User) string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

// managerInvoiceRows are the customer's invoices as a manager sees them:
// their PDFs through the manager's own route, no Pay now button.
func managerInvoiceRows(invs []billing.Invoice, customerID int64) []views.InvoiceRow {
	rows := invoiceRows(invs, 0)
	for i, inv := range invs {
		rows[i].PDFURL = fmt.Sprintf("/manage/customers/%d/invoices/%d.pdf", customerID, inv.ID)
	}
	return rows
}
