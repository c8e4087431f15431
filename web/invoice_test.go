package web_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/billingportal/portal/apptest"
	"github.com/billingportal/portal/billing"
)

var zoe = url.Values{"name": {"Zoë Łukasiewicz"}, "company": {"Müller & Søn GmbH"}, "line1": {"Straße des 17. Juni 135"},
	"line2": {"Aufgang B"}, "postal_code": {"10623"}, "city": {"Berlin"}, "country": {"DE"}, "tax_id": {"de 123456789"}}

func TestBillingDetailsAreValidatedFieldByField(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	c.Login("alice@example.com")
	page := c.Get("/billing/details")
	wantStatus(t, page, http.StatusOK)
	for _, f := range []string{"name", "company", "line1", "line2", "postal_code", "city", "country", "tax_id"} {
		wantBody(t, page, `<label for="`+f+`"`)
	}
	wantBody(t, page, `<option value="DE">Germany</option>`)

	empty := c.Post("/billing/details", url.Values{"company": {"Kept Ltd"}})
	wantStatus(t, empty, http.StatusBadRequest)
	wantBody(t, empty, "Please correct the 4 fields", "Enter the name to bill.", "Enter the street address.", "Enter the city.",
		"Choose a country.", `value="Kept Ltd"`, `aria-describedby="name-error"`)
	bad := c.Post("/billing/details", url.Values{"name": {"A"}, "line1": {"B"}, "city": {"C"}, "country": {"XX"},
		"postal_code": {"12/34"}, "tax_id": {"<script>"}, "line2": {strings.Repeat("x", 101)}})
	wantStatus(t, bad, http.StatusBadRequest)
	wantBody(t, bad, "Choose a country from the list.", "A postal code has only letters", "A tax ID has only letters",
		"Keep the second address line under 101 characters.")
	if d, _ := srv.App.Billing.BillingDetails(context.Background(), userID(t, srv, "alice@example.com")); !d.IsZero() {
		t.Fatalf("invalid details were stored: %+v", d)
	}

	wantRedirect(t, c.Post("/billing/details", zoe), "/billing/details")
	saved := c.Get("/billing/details?notice=saved")
	wantBody(t, saved, "Billing details saved", `value="Zoë Łukasiewicz"`, `value="DE123456789"`, `<option value="DE" selected>Germany</option>`)
	audit, _, _ := srv.App.Billing.AuditLog(context.Background(), billing.AuditFilter{Action: "billing_details.updated", Limit: 5})
	if len(audit) != 1 || !strings.Contains(audit[0].After, "10623 Berlin") || audit[0].Actor.Email != "alice@example.com" {
		t.Fatalf("audit: %+v", audit)
	}
}

// payFor upgrades a customer through the sandbox checkout.
func payFor(t *testing.T, c *apptest.Client, plan string) {
	t.Helper()
	wantBody(t, c.Get(pay(t, c, startCheckout(t, c, plan), "pay")), `data-outcome="paid"`)
}

func TestInvoicePDFCarriesTheDetailsOfItsDay(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	c.Login("alice@example.com")
	wantRedirect(t, c.Post("/billing/details", zoe), "/billing/details")
	payFor(t, c, "pro-annual")
	inv := invoices(t, srv, "alice@example.com")[0]
	if !strings.HasPrefix(inv.Number, "INV-") || inv.BillTo.City != "Berlin" {
		t.Fatalf("invoice %+v", inv)
	}
	path := fmt.Sprintf("/billing/invoices/%d.pdf", inv.ID)
	wantBody(t, c.Get("/billing/history"), `href="`+path+`"`, inv.Number)

	r := c.Get(path)
	wantStatus(t, r, http.StatusOK)
	if r.Header.Get("Content-Type") != "application/pdf" || !strings.Contains(r.Header.Get("Content-Disposition"), inv.Number+".pdf") {
		t.Fatalf("headers %v", r.Header)
	}
	text := apptest.PDFText(t, []byte(r.Body))
	for _, want := range []string{"Example Billing Ltd", "1 Example Street", "GB000000000", inv.Number, "Zoë Łukasiewicz", "Müller & Søn GmbH", "Straße des 17. Juni 135",
		"10623 Berlin", "Germany", "DE123456789", "alice@example.com", "Pro Annual subscription", "$290.00", "Paid",
		"Card, at checkout", inv.CreatedAt.Format("2 January 2006"), inv.PeriodEnd.Format("2 Jan 2006")} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF lacks %q", want)
		}
	}
	if again := c.Get(path); !bytes.Equal([]byte(again.Body), []byte(r.Body)) {
		t.Error("the same invoice downloaded twice differs")
	}

	// Later edits go on later invoices only.
	moved := url.Values{}
	for k, v := range zoe {
		moved[k] = v
	}
	moved.Set("city", "Hamburg")
	moved.Set("postal_code", "20095")
	wantRedirect(t, c.Post("/billing/details", moved), "/billing/details")
	if text := apptest.PDFText(t, []byte(c.Get(path).Body)); !strings.Contains(text, "10623 Berlin") || strings.Contains(text, "Hamburg") {
		t.Error("editing the details rewrote an issued invoice")
	}
	payFor(t, c, "business-annual")
	if newer := invoices(t, srv, "alice@example.com")[0]; newer.BillTo.City != "Hamburg" || newer.Number == inv.Number {
		t.Fatalf("the next invoice: %+v", newer)
	}
}

func TestAnotherCustomersInvoiceIsNotFound(t *testing.T) {
	srv := apptest.Start(t)
	bobs := invoices(t, srv, "bob@example.com")[0]
	c := srv.NewClient(t)
	c.Login("alice@example.com")
	for _, path := range []string{fmt.Sprintf("/billing/invoices/%d.pdf", bobs.ID), "/billing/invoices/999999.pdf",
		"/billing/invoices/abc.pdf", fmt.Sprintf("/billing/invoices/%d", bobs.ID), "/billing/invoices/-1.pdf"} {
		r := c.Get(path)
		wantStatus(t, r, http.StatusNotFound)
		if strings.HasPrefix(r.Body, "%PDF") {
			t.Fatalf("%s served a PDF", path)
		}
	}
	bob := srv.NewClient(t)
	bob.Login("bob@example.com")
	wantStatus(t, bob.Get(fmt.Sprintf("/billing/invoices/%d.pdf", bobs.ID)), http.StatusOK)
	wantRedirect(t, srv.NewClient(t).Get(fmt.Sprintf("/billing/invoices/%d.pdf", bobs.ID)), "/login")

	// Managers read a customer's invoices through the customer's page, scoped to that customer.
	m := managerClient(t, srv)
	bobID, aliceID := userID(t, srv, "bob@example.com"), userID(t, srv, "alice@example.com")
	managed := fmt.Sprintf("/manage/customers/%d/invoices/%d.pdf", bobID, bobs.ID)
	wantBody(t, m.Get(fmt.Sprintf("/manage/customers/%d", bobID)), `href="`+managed+`"`)
	if r := m.Get(managed); r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Body, "%PDF") {
		t.Fatalf("manager download: %d", r.StatusCode)
	}
	wantStatus(t, m.Get(fmt.Sprintf("/manage/customers/%d/invoices/%d.pdf", aliceID, bobs.ID)), http.StatusNotFound)
	wantStatus(t, bob.Get(managed), http.StatusNotFound)
}

func TestFailedInvoiceOffersPayNow(t *testing.T) {
	srv := apptest.Start(t)
	c := srv.NewClient(t)
	c.Login("carol@example.com")
	hist := c.Get("/billing/history")
	wantBody(t, hist, `data-testid="invoice-pay-now"`, `action="/subscription/overdue/pay"`)
	if strings.Count(hist.Body, `data-testid="invoice-pay-now"`) != 1 {
		t.Error("Pay now is offered on more than the overdue invoice")
	}
	failed := invoices(t, srv, "carol@example.com")[0]
	text := apptest.PDFText(t, []byte(c.Get(fmt.Sprintf("/billing/invoices/%d.pdf", failed.ID)).Body))
	for _, want := range []string{"Unpaid: payment failed", "Saved card, declined", "Amount due", "$90.00"} {
		if !strings.Contains(text, want) {
			t.Errorf("the failed invoice's PDF lacks %q", want)
		}
	}
}

func TestInvoiceNumbersHaveNoGaps(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	seen := map[string]bool{}
	for _, email := range []string{"bob@example.com", "carol@example.com", "dave@example.com"} {
		for _, inv := range invoices(t, srv, email) {
			seen[inv.Number] = true
		}
	}
	for i := 1; i <= len(seen); i++ {
		if !seen[fmt.Sprintf("INV-%06d", i)] {
			t.Fatalf("demo invoices are numbered %v: INV-%06d is missing", seen, i)
		}
	}
	alice := userID(t, srv, "alice@example.com")
	inv := billing.Invoice{UserID: alice, Description: "Test", Amount: billing.Money{Amount: 100, Currency: "USD"}, Status: billing.InvoicePaid}
	rolledBack := srv.App.Store.InTx(ctx, func(tx billing.Tx) error {
		if _, err := tx.CreateInvoice(ctx, inv); err != nil {
			return err
		}
		return fmt.Errorf("something later in the transaction failed")
	})
	if rolledBack == nil {
		t.Fatal("the transaction did not fail")
	}
	var id int64
	if err := srv.App.Store.InTx(ctx, func(tx billing.Tx) (err error) { id, err = tx.CreateInvoice(ctx, inv); return err }); err != nil {
		t.Fatal(err)
	}
	got, _ := srv.App.Billing.Invoice(ctx, id)
	if want := fmt.Sprintf("INV-%06d", len(seen)+1); got.Number != want {
		t.Fatalf("after a rolled-back invoice the next number is %s, want %s", got.Number, want)
	}
}
