package apptest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// PDFText reads a PDF's text back with poppler's pdftotext (-layout keeps
// each printed line on one line). make test installs poppler-utils when
// it is missing; without it the test fails, or skips under -short.
func PDFText(t testing.TB, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if testing.Short() {
			t.Skip("pdftotext not installed (apt-get install -y poppler-utils)")
		}
		t.Fatal("pdftotext not found: install poppler-utils (make test does this)")
	}
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-layout", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}
