package billing

import (
	"strconv"
	"strings"
)

// Money is an amount in the currency's minor units (cents for USD). Floats
// never hold money anywhere in the portal.
type Money struct {
	Amount   int64
	Currency string
}

// zeroDecimal lists ISO 4217 currencies whose minor unit is the unit itself.
var zeroDecimal = map[string]bool{"JPY": true, "KRW": true, "VND": true, "CLP": true, "ISK": true}

var symbols = map[string]string{"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}

// String formats the amount for people, e.g. "$290.00" or "12.50 CHF".
// It builds the string by hand: pages format dozens of prices each.
func (m Money) String() string {
	cur := m.Currency
	a := m.Amount
	var b [48]byte
	out := b[:0]
	if a < 0 {
		out = append(out, '-')
		a = -a
	}
	sym, hasSym := symbols[cur]
	if hasSym {
		out = append(out, sym...)
	}
	if zeroDecimal[cur] {
		out = appendGrouped(out, a)
	} else {
		out = appendGrouped(out, a/100)
		out = append(out, '.', byte('0'+a%100/10), byte('0'+a%10))
	}
	if !hasSym {
		out = append(append(out, ' '), strings.ToUpper(cur)...)
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
