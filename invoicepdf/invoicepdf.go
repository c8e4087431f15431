// Package invoicepdf renders an invoice as a PDF document. The same invoice
// always renders to the same bytes: nothing in the file depends on the
// moment of rendering (the document date is the invoice's), and gopdf
// writes objects in a fixed order.
//
// The text is set in DejaVu Sans, embedded in the binary so any script a
// customer's name or address uses prints. The fonts come from Debian's
// fonts-dejavu-core 2.37; their licence (Bitstream Vera, DejaVu changes in
// the public domain, fonts/LICENSE) allows embedding and redistribution
// with software, provided the notice travels with them.
package invoicepdf

import (
	_ "embed"
	"fmt"
	"strings"
	"time"

	"github.com/signintech/gopdf"

	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/brand"
)

var (
	//go:embed fonts/DejaVuSans.ttf
	regularFont []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	boldFont []byte
)

// Renderer turns invoices into PDFs for one seller.
type Renderer struct {
	seller brand.Seller
	accent colour // the seller's name in the brand's colour, as readable on white as links are
}

// New returns a renderer for the seller.
func New(seller brand.Seller, accent brand.RGB) *Renderer {
	return &Renderer{seller: seller, accent: colour{accent.R, accent.G, accent.B}}
}

// Filename is what a downloaded invoice is called, e.g. INV-000042.pdf.
func Filename(inv billing.Invoice) string {
	if inv.Number == "" {
		return fmt.Sprintf("invoice-%d.pdf", inv.ID)
	}
	return inv.Number + ".pdf"
}

// A4 in points, and the page's margins and columns.
const (
	pageW, pageH = 595.0, 842.0
	left         = 56.0
	right        = pageW - 56.0
	factsX       = 300.0 // where the labels of the invoice's facts start
)

type colour struct{ r, g, b uint8 }

var (
	ink   = colour{15, 23, 42}    // slate-900
	muted = colour{71, 85, 105}   // slate-600
	rule  = colour{203, 213, 225} // slate-300
)

// page is one document being written, with the cursor's y.
type page struct {
	pdf *gopdf.GoPdf
	y   float64
	err error
}

// Render writes the invoice as a one-page A4 PDF.
func (r *Renderer) Render(inv billing.Invoice) ([]byte, error) {
	pdf := &gopdf.GoPdf{}
	pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4})
	pdf.SetInfo(gopdf.PdfInfo{Title: "Invoice " + inv.Number, Author: r.seller.Name, Creator: "Billing portal",
		Producer: "Billing portal", CreationDate: inv.CreatedAt.UTC()})
	if err := pdf.AddTTFFontData("sans", regularFont); err != nil {
		return nil, fmt.Errorf("invoicepdf: font: %w", err)
	}
	if err := pdf.AddTTFFontData("sans-bold", boldFont); err != nil {
		return nil, fmt.Errorf("invoicepdf: font: %w", err)
	}
	pdf.AddPage()
	p := &page{pdf: pdf, y: 56}
	r.header(p, inv)
	r.parties(p, inv)
	lines(p, inv)
	footer(p, inv)
	if p.err != nil {
		return nil, fmt.Errorf("invoicepdf: invoice %d: %w", inv.ID, p.err)
	}
	return pdf.GetBytesPdf(), nil
}

func (r *Renderer) header(p *page, inv billing.Invoice) {
	p.text(left, p.y, r.seller.Name, true, 18, r.accent)
	p.rightText(right, p.y, "Invoice", true, 18, ink)
	p.y += 30
	top := p.y
	for _, l := range r.sellerLines() {
		p.text(left, p.y, l, false, 9.5, muted)
		p.y += 14
	}
	y := top
	for _, f := range facts(inv) {
		p.text(factsX, y, f[0], false, 9.5, muted)
		p.rightText(right, y, f[1], f[0] == "Number" || f[0] == "Status", 9.5, ink)
		y += 14
	}
	p.y = max(p.y, y) + 18
	p.line(p.y)
	p.y += 18
}

func (r *Renderer) sellerLines() []string {
	var out []string
	for _, l := range strings.Split(r.seller.Address, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	if r.seller.TaxID != "" {
		out = append(out, "Tax ID: "+r.seller.TaxID)
	}
	if r.seller.Email != "" {
		out = append(out, r.seller.Email)
	}
	return out
}

// facts are the invoice's own details, printed top right.
func facts(inv billing.Invoice) [][2]string {
	out := [][2]string{{"Number", inv.Number}, {"Issued", day(inv.CreatedAt)}}
	if !inv.PeriodStart.IsZero() && !inv.PeriodEnd.IsZero() {
		out = append(out, [2]string{"Period", shortDay(inv.PeriodStart) + " – " + shortDay(inv.PeriodEnd)})
	}
	out = append(out, [2]string{"Status", statusLabel(inv)}, [2]string{"Payment", paymentMethod(inv)}, [2]string{"Currency", inv.Amount.Currency})
	return out
}

func statusLabel(inv billing.Invoice) string {
	switch {
	case inv.Status != billing.InvoicePaid:
		return "Unpaid: payment failed"
	case inv.Refunded > 0 && inv.Refunded >= inv.Amount.Amount:
		return "Refunded"
	case inv.Refunded > 0:
		return "Paid, partly refunded"
	}
	return "Paid"
}

// paymentMethod says how the invoice was (or was to be) paid, from what the
// invoice row records: a checkout, the saved card, or credit alone.
func paymentMethod(inv billing.Invoice) string {
	switch {
	case inv.Amount.IsZero() && inv.CreditApplied > 0:
		return "Account credit"
	case inv.CheckoutID != "":
		return "Card, at checkout"
	case inv.Status == billing.InvoicePaid:
		return "Saved card, automatic renewal"
	}
	return "Saved card, declined"
}

func (r *Renderer) parties(p *page, inv billing.Invoice) {
	p.text(left, p.y, "Bill to", true, 10, ink)
	p.y += 16
	billTo := inv.BillTo.Lines()
	if len(billTo) == 0 {
		billTo = []string{inv.BillToEmail}
	} else if inv.BillToEmail != "" {
		billTo = append(billTo, inv.BillToEmail)
	}
	for _, l := range billTo {
		p.text(left, p.y, l, false, 10, ink)
		p.y += 14
	}
	p.y += 22
}

// lines prints what the invoice charges: the plan at its price, the credit
// for unused time on the previous plan, the account credit used, the total,
// what was paid and refunded, and what is due.
func lines(p *page, inv billing.Invoice) {
	p.text(left, p.y, "Description", true, 9.5, muted)
	p.rightText(right, p.y, "Amount", true, 9.5, muted)
	p.y += 16
	p.line(p.y)
	p.y += 10
	cur := inv.Amount.Currency
	desc := inv.Description
	if !inv.PeriodStart.IsZero() && !inv.PeriodEnd.IsZero() {
		desc += ", " + day(inv.PeriodStart) + " – " + day(inv.PeriodEnd)
	}
	row := func(label, amount string, bold bool) {
		p.text(left, p.y, label, bold, 10, ink)
		p.rightText(right, p.y, amount, bold, 10, ink)
		p.y += 20
	}
	row(desc, billing.Money{Amount: inv.Amount.Amount + inv.CreditApplied + inv.ProrationCredit, Currency: cur}.String(), false)
	if inv.ProrationCredit > 0 {
		row("Credit for unused time on your previous plan", billing.Money{Amount: -inv.ProrationCredit, Currency: cur}.String(), false)
	}
	if inv.CreditApplied > 0 {
		row("Account credit used", billing.Money{Amount: -inv.CreditApplied, Currency: cur}.String(), false)
	}
	p.line(p.y - 4)
	p.y += 8
	row("Total", inv.Amount.String(), true)
	if inv.Status == billing.InvoicePaid {
		row("Amount paid", inv.Amount.String(), false)
		if inv.Refunded > 0 {
			row("Refunded", billing.Money{Amount: -inv.Refunded, Currency: cur}.String(), false)
		}
		row("Amount due", billing.Money{Amount: 0, Currency: cur}.String(), true)
	} else {
		row("Amount paid", billing.Money{Amount: 0, Currency: cur}.String(), false)
		row("Amount due", inv.Amount.String(), true)
	}
}

func footer(p *page, inv billing.Invoice) {
	note := "Thank you for your business."
	if inv.Status != billing.InvoicePaid {
		note = "This invoice is unpaid. Pay it from your subscription page in the billing portal."
	}
	p.text(left, pageH-72, note, false, 9, muted)
	p.text(left, pageH-58, "All amounts in "+inv.Amount.Currency+". Dates are in UTC.", false, 9, muted)
}

func (p *page) font(bold bool, size float64, c colour) {
	family := "sans"
	if bold {
		family = "sans-bold"
	}
	if err := p.pdf.SetFont(family, "", size); err != nil && p.err == nil {
		p.err = err
	}
	p.pdf.SetTextColor(c.r, c.g, c.b)
}

func (p *page) text(x, y float64, s string, bold bool, size float64, c colour) {
	p.font(bold, size, c)
	p.pdf.SetXY(x, y)
	if err := p.pdf.Cell(nil, s); err != nil && p.err == nil {
		p.err = err
	}
}

// rightText ends the text at x.
func (p *page) rightText(x, y float64, s string, bold bool, size float64, c colour) {
	p.font(bold, size, c)
	w, err := p.pdf.MeasureTextWidth(s)
	if err != nil && p.err == nil {
		p.err = err
	}
	p.pdf.SetXY(x-w, y)
	if err := p.pdf.Cell(nil, s); err != nil && p.err == nil {
		p.err = err
	}
}

func (p *page) line(y float64) {
	p.pdf.SetStrokeColor(rule.r, rule.g, rule.b)
	p.pdf.SetLineWidth(0.7)
	p.pdf.Line(left, y, right, y)
}

func day(t time.Time) string { return t.UTC().Format("2 January 2006") }

func shortDay(t time.Time) string { return t.UTC().Format("2 Jan 2006") }

// Filename is what a downloaded invoice is called.
func (r *Renderer) Filename(inv billing.Invoice) string { return Filename(inv) }
