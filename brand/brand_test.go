package brand

import (
	"strings"
	"testing"
)

func TestContrastMatchesWCAG(t *testing.T) {
	cases := []struct {
		a, b RGB
		want float64
	}{
		{White, RGB{0, 0, 0}, 21},
		{White, White, 1},
		{White, RGB{0x76, 0x76, 0x76}, 4.54}, // the classic lightest grey that passes AA on white
		{White, RGB{0x4f, 0x46, 0xe5}, 6.29}, // indigo-600, the default accent
	}
	for _, c := range cases {
		if got := Contrast(c.a, c.b); got < c.want-0.01 || got > c.want+0.01 {
			t.Errorf("contrast %s on %s = %.3f, want %.2f", c.a.Hex(), c.b.Hex(), got, c.want)
		}
	}
}

// Every accent an operator may choose gets readable button text and links.
func TestEveryAccentGetsReadableText(t *testing.T) {
	for _, hex := range []string{"#4f46e5", "#0f766e", "#facc15", "#ffffff", "#000000", "#777777", "#22c55e", "#ff0000", "#38bdf8"} {
		accent, ok := ParseHex(hex)
		if !ok {
			t.Fatal(hex)
		}
		th := NewTheme(accent)
		if c := Contrast(th.Accent, th.OnAccent); c < MinContrast {
			t.Errorf("%s: button text %s reaches %.2f", hex, th.OnAccent.Hex(), c)
		}
		if c := Contrast(th.Link, White); c < MinContrast {
			t.Errorf("%s: link %s on white reaches %.2f", hex, th.Link.Hex(), c)
		}
	}
}

func TestThemeSaysWhatItAdjusted(t *testing.T) {
	dark := NewTheme(RGB{0x0f, 0x76, 0x6e}) // teal-700: white text, links as is
	if dark.OnAccent != White || dark.Link != dark.Accent || len(dark.Notes) != 0 {
		t.Errorf("teal needs no adjustment: %+v", dark)
	}
	yellow := NewTheme(RGB{0xfa, 0xcc, 0x15})
	if yellow.OnAccent != Ink || yellow.Link == yellow.Accent || len(yellow.Notes) != 2 {
		t.Fatalf("yellow: %+v", yellow)
	}
	if !strings.Contains(yellow.Notes[0], "dark text") || !strings.Contains(yellow.Notes[1], "links use") {
		t.Errorf("notes %q", yellow.Notes)
	}
	if css := yellow.CSS(); !strings.Contains(css, "--accent:250 204 21") || !strings.Contains(css, "--on-accent:2 6 23") {
		t.Errorf("css %q", css)
	}
}
