// Package email writes and sends the portal's mail to customers: it
// composes each kind of mail as HTML (a templ view) and plain text, and
// delivers the outbox over SMTP with retries, never sending a mail twice.
package email

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/billingportal/portal/account"
	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/brand"
	"github.com/billingportal/portal/views"
)

// Composer writes mails in the brand's name.
type Composer struct {
	Brand string      // who the mails are from, e.g. "Acme Notes"
	Theme brand.Theme // the brand's colours, with text readable on them
}

// Compose implements billing.Composer.
func (c Composer) Compose(d billing.MailData) (subject, text, html string, err error) {
	v, err := c.view(d)
	if err != nil {
		return "", "", "", err
	}
	return c.render(v)
}

// PasswordReset composes the reset mail for account.Service.
func (c Composer) PasswordReset(to, link string, expires time.Time) (account.Mail, error) {
	v := c.base("Reset your password", "Someone asked to reset the password of "+to+".")
	v.Paragraphs = []string{
		"Someone, hopefully you, asked to reset the password of your account " + to + ".",
		"The link works once, until " + expires.UTC().Format("15:04 UTC on 2 January 2006") + ". Using it signs you out everywhere.",
	}
	v.ButtonLabel, v.ButtonURL = "Choose a new password", link
	v.After = []string{"If you did not ask for this, ignore this mail: your password stays as it is."}
	v.Footer = "You get this mail because a password reset was requested for your account."
	subject, text, html, err := c.render(v)
	return account.Mail{To: to, Subject: subject, Text: text, HTML: html}, err
}

func (c Composer) base(heading, preheader string) views.MailView {
	return views.MailView{Brand: c.Brand, Accent: c.Theme.Accent.Hex(), OnAccent: c.Theme.OnAccent.Hex(), Heading: heading, Preheader: preheader}
}

// view says, for each kind of mail, what it tells the customer.
func (c Composer) view(d billing.MailData) (views.MailView, error) {
	var v views.MailView
	switch d.Kind {
	case billing.MailCancellation:
		v = c.base("Your subscription is cancelled", "You keep "+d.PlanName+" until "+d.Date+".")
		v.Paragraphs = []string{"We have cancelled " + d.PlanName + " as you asked. You keep it until " + d.Date +
			"; after that you move to the free plan and nothing more is charged."}
		v.Facts = []views.Line{{Label: "Plan", Amount: d.PlanName}, {Label: "Access until", Amount: d.Date}}
		v.ButtonLabel, v.ButtonURL = "Changed your mind? Resume", d.URL
		v.Footer = "You get this mail to confirm a change to your subscription."
	case billing.MailChangeScheduled:
		v = c.base("Your plan change is scheduled", "From "+d.Date+" you will be on "+d.PlanName+".")
		v.Paragraphs = []string{"You stay on " + d.FromPlanName + " until " + d.Date + ". From then you will be on " + d.PlanName + "."}
		v.Facts = []views.Line{{Label: "Now", Amount: d.FromPlanName}, {Label: "From " + d.Date, Amount: d.PlanName}, {Label: "New price", Amount: d.Price}}
		v.ButtonLabel, v.ButtonURL = "See or undo the change", d.URL
		v.Footer = "You get this mail to confirm a change to your subscription."
	case billing.MailChangeApplied:
		v = c.base("You are now on "+d.PlanName, "Your plan changed on "+d.Date+".")
		v.Paragraphs = []string{"Your subscription changed to " + d.PlanName + " on " + d.Date + "."}
		v.Facts = []views.Line{{Label: "Plan", Amount: d.PlanName}, {Label: "Price", Amount: d.Price}}
		v.ButtonLabel, v.ButtonURL = "See your subscription", d.URL
		v.Footer = "You get this mail to confirm a change to your subscription."
	case billing.MailRenewalReminder:
		v = c.base(d.PlanName+" renews on "+d.Date, "We will charge "+d.Amount+" on "+d.Date+".")
		v.Paragraphs = []string{"Your annual subscription to " + d.PlanName + " renews on " + d.Date +
			". We will charge " + d.Amount + " to your saved card; you need to do nothing."}
		v.Facts = []views.Line{{Label: "Plan", Amount: d.PlanName}, {Label: "Renews on", Amount: d.Date}, {Label: "Amount", Amount: d.Amount}}
		v.ButtonLabel, v.ButtonURL = "Change or cancel before then", d.URL
		v.Footer = "You get this mail a week before each annual renewal."
	case billing.MailReceipt:
		v = c.base("Receipt for "+d.Amount, "Thank you: we received "+d.Amount+".")
		v.Paragraphs = []string{"Thank you for your payment. The invoice is attached as a PDF."}
		v.Facts = []views.Line{{Label: "Invoice", Amount: d.InvoiceNumber}, {Label: "For", Amount: d.PlanName},
			{Label: "Date", Amount: d.Date}, {Label: "Paid", Amount: d.Amount}}
		v.ButtonLabel, v.ButtonURL = "See your billing history", d.URL
		v.Footer = "You get this mail after every payment."
	case billing.MailPaymentFailed:
		v = c.base("Your payment of "+d.Amount+" failed", "Pay now to keep your plan.")
		v.Paragraphs = []string{"We could not take " + d.Amount + " for " + d.PlanName + " on " + d.Date +
			". Your plan keeps working while we try your card again, but it ends if the payment does not go through."}
		v.Facts = []views.Line{{Label: "Invoice", Amount: d.InvoiceNumber}, {Label: "For", Amount: d.PlanName}, {Label: "Amount due", Amount: d.Amount}}
		v.ButtonLabel, v.ButtonURL = "Pay now", d.URL
		v.After = []string{"You can pay with another card on that page."}
		v.Footer = "You get this mail when a payment fails."
	default:
		return v, fmt.Errorf("email: no mail for kind %q", d.Kind)
	}
	v.PrefsURL = d.PrefsURL
	return v, nil
}

// render produces the subject, the plain-text body and the HTML body.
func (c Composer) render(v views.MailView) (subject, text, html string, err error) {
	var b bytes.Buffer
	if err := views.MailHTML(v).Render(context.Background(), &b); err != nil {
		return "", "", "", fmt.Errorf("email: render: %w", err)
	}
	return v.Heading, plainText(v), b.String(), nil
}

// plainText is the same mail for readers without HTML.
func plainText(v views.MailView) string {
	var b strings.Builder
	b.WriteString(v.Heading + "\n\n")
	for _, p := range v.Paragraphs {
		b.WriteString(p + "\n\n")
	}
	for _, f := range v.Facts {
		b.WriteString(f.Label + ": " + f.Amount + "\n")
	}
	if len(v.Facts) > 0 {
		b.WriteString("\n")
	}
	if v.ButtonURL != "" {
		b.WriteString(v.ButtonLabel + ": " + v.ButtonURL + "\n\n")
	}
	for _, p := range v.After {
		b.WriteString(p + "\n\n")
	}
	b.WriteString("-- \n" + v.Brand + "\n" + v.Footer + "\n")
	if v.PrefsURL != "" {
		b.WriteString("Choose which emails you get: " + v.PrefsURL + "\n")
	}
	return b.String()
}
