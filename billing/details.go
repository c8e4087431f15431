package billing

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// BillingDetails is who an invoice is addressed to.
type BillingDetails struct {
	Name       string
	Company    string
	Line1      string
	Line2      string
	PostalCode string
	City       string
	Country    string // ISO 3166-1 alpha-2, e.g. "DE"
	TaxID      string
	UpdatedAt  time.Time
}

// IsZero reports whether no details were ever given.
func (d BillingDetails) IsZero() bool {
	return d.Name == "" && d.Company == "" && d.Line1 == "" && d.City == "" && d.Country == ""
}

// Lines is the address as it is printed, one line each, empty ones left out.
func (d BillingDetails) Lines() []string {
	var out []string
	for _, l := range []string{d.Name, d.Company, d.Line1, d.Line2, strings.TrimSpace(d.PostalCode + " " + d.City), CountryName(d.Country)} {
		if l != "" {
			out = append(out, l)
		}
	}
	if d.TaxID != "" {
		out = append(out, "Tax ID: "+d.TaxID)
	}
	return out
}

// Country is one country a billing address may be in.
type Country struct{ Code, Name string }

// CountryName returns the name for a code, or "" when it is not a country.
func CountryName(code string) string {
	for _, c := range Countries {
		if c.Code == code {
			return c.Name
		}
	}
	return ""
}

type detailsReader interface {
	// BillingDetails returns the customer's current details; zero when none.
	BillingDetails(ctx context.Context, userID int64) (BillingDetails, error)
}

type detailsTx interface {
	SaveBillingDetails(ctx context.Context, userID int64, d BillingDetails) error
}

// Field lengths, generous for real addresses and short enough for an invoice.
const (
	maxNameLen   = 100
	maxLineLen   = 100
	maxPostalLen = 16
	maxTaxIDLen  = 32
)

var (
	postalPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 -]*$`)
	taxIDPattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.-]*$`)
)

// Normalize trims every field, upper-cases the codes and drops the spaces
// people type inside tax IDs.
func (d BillingDetails) Normalize() BillingDetails {
	clean := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	return BillingDetails{Name: clean(d.Name), Company: clean(d.Company), Line1: clean(d.Line1), Line2: clean(d.Line2),
		PostalCode: strings.ToUpper(clean(d.PostalCode)), City: clean(d.City), Country: strings.ToUpper(clean(d.Country)),
		TaxID: strings.ToUpper(strings.Join(strings.Fields(d.TaxID), ""))} // "de 123 456 789" is DE123456789
}

// Validate lists every problem with the details, one per field, in the
// order of the form. Name, first address line, city and country are
// required; postal codes are optional because some countries have none.
func (d BillingDetails) Validate() error {
	var problems []FieldProblem
	add := func(field, format string, args ...any) {
		problems = append(problems, FieldProblem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	text := func(field, label, v string, required bool, maxLen int) {
		switch {
		case required && v == "":
			add(field, "Enter the %s.", label)
		case utf8.RuneCountInString(v) > maxLen:
			add(field, "Keep the %s under %d characters.", label, maxLen+1)
		case strings.ContainsAny(v, "<>\x00"):
			add(field, "The %s cannot contain < or >.", label)
		}
	}
	text("name", "name to bill", d.Name, true, maxNameLen)
	text("company", "company name", d.Company, false, maxNameLen)
	text("line1", "street address", d.Line1, true, maxLineLen)
	text("line2", "second address line", d.Line2, false, maxLineLen)
	switch {
	case utf8.RuneCountInString(d.PostalCode) > maxPostalLen:
		add("postal_code", "Keep the postal code under %d characters.", maxPostalLen+1)
	case d.PostalCode != "" && !postalPattern.MatchString(d.PostalCode):
		add("postal_code", "A postal code has only letters, digits, spaces and hyphens.")
	}
	text("city", "city", d.City, true, maxLineLen)
	switch {
	case d.Country == "":
		add("country", "Choose a country.")
	case CountryName(d.Country) == "":
		add("country", "Choose a country from the list.")
	}
	switch {
	case utf8.RuneCountInString(d.TaxID) > maxTaxIDLen:
		add("tax_id", "Keep the tax ID under %d characters.", maxTaxIDLen+1)
	case d.TaxID != "" && !taxIDPattern.MatchString(d.TaxID):
		add("tax_id", "A tax ID has only letters, digits, dots and hyphens, such as DE123456789.")
	}
	if len(problems) > 0 {
		return &ValidationError{Problems: problems}
	}
	return nil
}

// BillingDetails returns the customer's billing details; zero when none were given.
func (s *Service) BillingDetails(ctx context.Context, userID int64) (BillingDetails, error) {
	return s.store.BillingDetails(ctx, userID)
}

// SaveBillingDetails validates and stores the customer's details, audited.
// Invoices created afterwards carry them; earlier invoices keep theirs.
func (s *Service) SaveBillingDetails(ctx context.Context, actor Actor, cust Customer, d BillingDetails) (BillingDetails, error) {
	d = d.Normalize()
	if err := d.Validate(); err != nil {
		return d, err
	}
	err := s.store.InTx(ctx, func(tx Tx) error {
		before, err := tx.BillingDetails(ctx, cust.ID)
		if err != nil {
			return err
		}
		d.UpdatedAt = s.clock.Now()
		if err := tx.SaveBillingDetails(ctx, cust.ID, d); err != nil {
			return err
		}
		return tx.AddAudit(ctx, AuditEntry{At: d.UpdatedAt, Actor: actor, Subject: cust, Action: "billing_details.updated",
			Before: strings.Join(before.Lines(), "; "), After: strings.Join(d.Lines(), "; ")})
	})
	return d, err
}
