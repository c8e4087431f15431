package billing

import (
	"fmt"
	"strconv"
	"sync"

	"golang.org/x/text/currency"
)

// Money is an amount in the currency's minor units (cents for USD, yen for
// JPY). Floats never hold money anywhere in the portal.
type Money struct {
	Amount   int64
	Currency string
}

// currencyFormat is how amounts of one currency are written.
type currencyFormat struct {
	digits int    // minor-unit digits: 2 for USD, 0 for JPY, 3 for KWD
	symbol string // "$", "€"; "" when the currency is written by its code
}

// formats caches currencyFormat per ISO code; pages format dozens of prices.
var formats sync.Map

// ValidCurrency reports whether code is an ISO 4217 currency code, written
// in capitals as the configuration file and the database hold it.
func ValidCurrency(code string) bool {
	if len(code) != 3 || code == "XXX" {
		return false
	}
	u, err := currency.ParseISO(code)
	return err == nil && u.String() == code
}

// MinorDigits is the number of minor-unit digits of a currency (ISO 4217),
// from golang.org/x/text's CLDR tables; unknown codes count 2.
func MinorDigits(code string) int { return formatOf(code).digits }

func formatOf(code string) currencyFormat {
	if f, ok := formats.Load(code); ok {
		return f.(currencyFormat)
	}
	f := currencyFormat{digits: 2}
	if u, err := currency.ParseISO(code); err == nil {
		f.digits, _ = currency.Standard.Rounding(u)
		// A currency whose usual symbol is its code (CHF, SEK) is written
		// "12.50 CHF"; the others take their narrow symbol ("$", not "US$").
		if fmt.Sprint(currency.Symbol(u)) != u.String() {
			f.symbol = fmt.Sprint(currency.NarrowSymbol(u))
		}
	}
	formats.Store(code, f)
	return f
}

// String formats the amount for people, e.g. "$290.00", "¥1,000" or
// "12.50 CHF", with the currency's own number of minor digits.
func (m Money) String() string {
	f := formatOf(m.Currency)
	a := m.Amount
	var b [48]byte
	out := b[:0]
	if a < 0 {
		out = append(out, '-')
		a = -a
	}
	out = append(out, f.symbol...)
	scale := int64(1)
	for range f.digits {
		scale *= 10
	}
	out = appendGrouped(out, a/scale)
	if f.digits > 0 {
		frac := strconv.FormatInt(a%scale+scale, 10)[1:] // zero-padded to digits
		out = append(append(out, '.'), frac...)
	}
	if f.symbol == "" {
		out = append(append(out, ' '), m.Currency...)
	}
	return string(out)
}

// appendGrouped appends n with thousands separated by commas.
func appendGrouped(out []byte, n int64) []byte {
	digits := strconv.AppendInt(nil, n, 10)
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, d)
	}
	return out
}

// IsZero reports whether nothing is owed.
func (m Money) IsZero() bool { return m.Amount == 0 }
