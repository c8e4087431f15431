package billing

import (
	"fmt"
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
func (m Money) String() string {
	cur := strings.ToUpper(m.Currency)
	neg := m.Amount < 0
	a := m.Amount
	if neg {
		a = -a
	}
	var num string
	if zeroDecimal[cur] {
		num = groupThousands(a)
	} else {
		num = groupThousands(a/100) + fmt.Sprintf(".%02d", a%100)
	}
	sign := ""
	if neg {
		sign = "-"
	}
	if s, ok := symbols[cur]; ok {
		return sign + s + num
	}
	return sign + num + " " + cur
}

func groupThousands(n int64) string {
	s := fmt.Sprintf("%d", n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// IsZero reports whether nothing is owed.
func (m Money) IsZero() bool { return m.Amount == 0 }
