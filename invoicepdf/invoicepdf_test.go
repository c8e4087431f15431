package invoicepdf_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/billingportal/portal/apptest"
	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/brand"
	"github.com/billingportal/portal/invoicepdf"
)

var seller = brand.Seller{Name: "Acme Notes Ltd", Address: "1 Main St\nSpringfield", TaxID: "GB123456789", Email: "billing@acme.test"}

func sample() billing.Invoice {
	at := time.Date(2027, 3, 1, 9, 30, 0, 0, time.UTC)
	return billing.Invoice{ID: 7, Number: "INV-000042", UserID: 3, Description: "Pro Annual subscription",
		Amount: billing.Money{Amount: 25000, Currency: "USD"}, CreditApplied: 4000, Status: billing.InvoicePaid,
		PeriodStart: at, PeriodEnd: at.AddDate(1, 0, 0), CheckoutID: "cs_1", CreatedAt: at,
		BillTo: billing.BillingDetails{Name: "Zoë Łukasiewicz", Company: "Müller & Søn GmbH", Line1: "Straße des 17. Juni 135",
			PostalCode: "10623", City: "Berlin", Country: "DE", TaxID: "DE123456789"}, BillToEmail: "zoe@example.com"}
}

func TestSameInvoiceSameBytes(t *testing.T) {
	r := invoicepdf.New(seller, brand.RGB{R: 79, G: 70, B: 229})
	a, err := r.Render(sample())
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // a renderer that stamped the time would differ now
	b, err := r.Render(sample())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("the same invoice rendered to different bytes")
	}
	other := sample()
	other.BillTo.City = "Hamburg"
	c, _ := r.Render(other)
	if bytes.Equal(a, c) {
		t.Fatal("a different invoice rendered to the same bytes")
	}
}

func TestInvoiceTextReadsBack(t *testing.T) {
	pdf, err := invoicepdf.New(seller, brand.RGB{R: 79, G: 70, B: 229}).Render(sample())
	if err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("INVOICE_PDF_DIR"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "sample-invoice.pdf"), pdf, 0o644)
	}
	text := apptest.PDFText(t, pdf)
	for _, want := range []string{"Acme Notes Ltd", "1 Main St", "Springfield", "GB123456789", "INV-000042", "1 March 2027",
		"1 Mar 2027 – 1 Mar 2028", "1 March 2027 – 1 March 2028", "Zoë Łukasiewicz", "Müller & Søn GmbH", "Straße des 17. Juni 135", "10623 Berlin", "Germany",
		"DE123456789", "zoe@example.com", "Pro Annual subscription", "$290.00", "Account credit used", "-$40.00",
		"$250.00", "Paid", "Card, at checkout", "USD"} {
		if !strings.Contains(text, want) {
			t.Errorf("invoice text lacks %q\n%s", want, text)
		}
	}
}

// An immediate upgrade's invoice shows each line of the proration: the new
// plan's price, the unused time on the old one, the credit used, the total.
func TestProrationLinesAddUp(t *testing.T) {
	inv := sample()
	inv.Description, inv.Amount.Amount, inv.ProrationCredit, inv.CreditApplied = "Business Monthly subscription", 7450, 2000, 450
	text := apptest.PDFText(t, mustRender(t, inv))
	for _, want := range []string{"Business Monthly subscription", "$99.00", "Credit for unused time on your previous plan", "-$20.00",
		"Account credit used", "-$4.50", "Total", "$74.50"} {
		if !strings.Contains(text, want) {
			t.Errorf("prorated invoice lacks %q\n%s", want, text)
		}
	}
}

func TestRefundIsShown(t *testing.T) {
	inv := sample()
	inv.Refunded = 5000
	text := apptest.PDFText(t, mustRender(t, inv))
	for _, want := range []string{"Paid, partly refunded", "Refunded", "-$50.00", "$250.00"} {
		if !strings.Contains(text, want) {
			t.Errorf("refunded invoice lacks %q", want)
		}
	}
	inv.Refunded = inv.Amount.Amount
	if text := apptest.PDFText(t, mustRender(t, inv)); !strings.Contains(text, "Refunded") || strings.Contains(text, "partly") {
		t.Errorf("fully refunded invoice reads:\n%s", text)
	}
}

func mustRender(t *testing.T, inv billing.Invoice) []byte {
	t.Helper()
	pdf, err := invoicepdf.New(seller, brand.RGB{R: 79, G: 70, B: 229}).Render(inv)
	if err != nil {
		t.Fatal(err)
	}
	return pdf
}
