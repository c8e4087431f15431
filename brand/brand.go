// Package brand holds the operator's brand and seller details, as the
// configuration file gives them, for pages, mail and invoices alike; and
// the colours that make the brand's accent readable.
package brand

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Brand is how the portal presents itself to customers.
type Brand struct {
	Name         string // product name in the header and every title, e.g. "Acme Notes"
	Accent       string // "#rrggbb", on buttons and links
	Logo         string // a path on the operator's disk or an http(s) URL; "" for none
	SupportEmail string
}

// Seller is who sells: the party named on invoices and receipts.
type Seller struct {
	Name    string
	Address string // lines separated by "\n"
	TaxID   string
	Email   string
}

// AddressLines splits the address for printing line by line.
func (s Seller) AddressLines() []string {
	if s.Address == "" {
		return nil
	}
	return strings.Split(s.Address, "\n")
}

// Default is the brand of a portal whose file names none.
var Default = Brand{Name: "Billing portal", Accent: "#4f46e5"}

// MinContrast is WCAG AA for normal text.
const MinContrast = 4.5

// RGB is a colour as 8-bit channels.
type RGB struct{ R, G, B uint8 }

// ParseHex reads "#rrggbb" (or "rrggbb").
func ParseHex(s string) (RGB, bool) {
	s = strings.TrimPrefix(s, "#")
	if len(s) != 6 {
		return RGB{}, false
	}
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return RGB{}, false
	}
	return RGB{uint8(v >> 16), uint8(v >> 8), uint8(v)}, true
}

// Hex writes the colour as "#rrggbb".
func (c RGB) Hex() string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// Channels writes the colour as "r g b", the form the stylesheet's
// variables take.
func (c RGB) Channels() string { return fmt.Sprintf("%d %d %d", c.R, c.G, c.B) }

// luminance is WCAG 2's relative luminance.
func (c RGB) luminance() float64 {
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.R) + 0.7152*lin(c.G) + 0.0722*lin(c.B)
}

// Contrast is the WCAG contrast ratio of two colours, from 1 to 21.
func Contrast(a, b RGB) float64 {
	la, lb := a.luminance(), b.luminance()
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// White and Ink are the two text colours the portal puts on the accent.
var (
	White = RGB{255, 255, 255}
	Ink   = RGB{2, 6, 23} // slate-950
)

// Theme is the accent and the colours that keep it readable.
type Theme struct {
	Accent   RGB // button background
	OnAccent RGB // text on the accent: white or ink, whichever contrasts more
	Link     RGB // link text on white: the accent, darkened until it reaches MinContrast
	Notes    []string
}

// NewTheme works out readable colours around an accent. Every colour has
// a text colour (white or ink) with at least 4.5:1 on it; links on the
// white page use the accent itself when it is dark enough, else the accent
// darkened step by step until it is. Notes say what was adjusted, for the
// operator at start.
func NewTheme(accent RGB) Theme {
	t := Theme{Accent: accent, OnAccent: White, Link: accent}
	if Contrast(accent, Ink) > Contrast(accent, White) {
		t.OnAccent = Ink
	}
	if c := Contrast(accent, t.OnAccent); c < MinContrast { // cannot happen with sRGB, kept as a guard
		t.Notes = append(t.Notes, fmt.Sprintf("text on the accent reaches only %.2f:1", c))
	}
	if t.OnAccent == Ink {
		t.Notes = append(t.Notes, fmt.Sprintf("white text on %s would reach only %.2f:1, so buttons use dark text (%.2f:1)",
			accent.Hex(), Contrast(accent, White), Contrast(accent, Ink)))
	}
	for Contrast(t.Link, White) < MinContrast {
		t.Link = RGB{uint8(float64(t.Link.R) * 0.9), uint8(float64(t.Link.G) * 0.9), uint8(float64(t.Link.B) * 0.9)}
	}
	if t.Link != accent {
		t.Notes = append(t.Notes, fmt.Sprintf("%s on white reaches only %.2f:1, so links use %s (%.2f:1)",
			accent.Hex(), Contrast(accent, White), t.Link.Hex(), Contrast(t.Link, White)))
	}
	return t
}

// CSS is the stylesheet that sets the theme's variables for the built
// Tailwind classes (bg-accent, text-on-accent, text-link).
func (t Theme) CSS() string {
	return fmt.Sprintf(":root{--accent:%s;--on-accent:%s;--link:%s}\n", t.Accent.Channels(), t.OnAccent.Channels(), t.Link.Channels())
}
