// Package e2e holds the browser tests: real Chromium, driven with chromedp,
// against the real portal on a loopback port.
package e2e
