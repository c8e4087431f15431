package handlers

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/views"
)

// TestClock moves billing time forward; only in test mode (the sandbox, or a Stripe test key).
type TestClock interface {
	Advance(ctx context.Context, d time.Duration) error
}

// maxAdvance bounds one advance, so a typo cannot run the worker for centuries.
const maxAdvance = 10 * 366 * 24 * time.Hour

// parseAdvance reads how far to move: a Go duration such as "720h", or a
// count of days or weeks such as "30 days", and checks its range.
func parseAdvance(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	d, err := time.ParseDuration(s)
	if err != nil {
		d, err = parseDays(s)
	}
	switch {
	case err != nil:
		return 0, fmt.Errorf("%q is not a duration; write it like 30 days, 2 weeks, 720h or 90m", truncate(s, 40))
	case d <= 0:
		return 0, errors.New("the duration must be positive: the test clock only moves forward")
	case d > maxAdvance:
		return 0, errors.New("advance at most ten years at a time")
	}
	return d, nil
}

// parseDays reads "<n> day(s)" or "<n> week(s)".
func parseDays(s string) (time.Duration, error) {
	num, unit, ok := strings.Cut(s, " ")
	n, err := strconv.Atoi(num)
	if !ok || err != nil || n > 100000 || n < -100000 {
		return 0, errors.New("not a count of days")
	}
	switch strings.ToLower(strings.TrimSpace(unit)) {
	case "day", "days":
		return time.Duration(n) * 24 * time.Hour, nil
	case "week", "weeks":
		return time.Duration(n) * 7 * 24 * time.Hour, nil
	}
	return 0, errors.New("not a count of days")
}

// advance moves the clock and applies every lifecycle step now due. If the
// portal begins to stop meanwhile, the step in progress finishes and the
// rest is left to the worker, as in the worker itself.
func (h *Handlers) advance(c *gin.Context, d time.Duration) (int, error) {
	if err := h.TestClock.Advance(c.Request.Context(), d); err != nil {
		return 0, fmt.Errorf("%w: %w", errClockNotMoved, err)
	}
	ctx, cancel := context.WithCancel(c.Request.Context())
	defer cancel()
	if h.Lifetime != nil {
		defer context.AfterFunc(h.Lifetime, cancel)()
	}
	return h.Billing.RunDue(ctx)
}

// errClockNotMoved says the advance itself failed, so nothing changed.
var errClockNotMoved = errors.New("test clock did not move")

// advanceFailure is what to tell the caller when an advance went wrong.
func advanceFailure(err error) string {
	if errors.Is(err, errClockNotMoved) {
		return "The test clock could not move (the database did not take the change); nothing changed. Try again."
	}
	return "The clock moved, but some lifecycle steps failed; they are retried on the next run."
}

// serverKey reports whether the request carries the server-to-server key.
func (h *Handlers) serverKey(c *gin.Context) bool {
	token, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	return ok && h.APIKey != "" && subtle.ConstantTimeCompare([]byte(token), []byte(h.APIKey)) == 1
}

// TestClockAdvanceAPI is POST /api/v1/test-clock/advance {"duration": "720h"}.
func (h *Handlers) TestClockAdvanceAPI(c *gin.Context) {
	if h.TestClock == nil {
		jsonError(c, http.StatusNotFound, "The test clock exists only in test mode: with the sandbox, or Stripe with a test key (sk_test_).")
		return
	}
	if !h.serverKey(c) {
		jsonError(c, http.StatusUnauthorized, "Send the server key as Authorization: Bearer <BILLING_API_KEY>.")
		return
	}
	var body struct {
		Duration string `json:"duration"`
	}
	raw, err := io.ReadAll(io.LimitReader(c.Request.Body, 4096))
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		err = dec.Decode(&body)
	}
	if err != nil {
		jsonError(c, http.StatusBadRequest, "The body must be JSON like {\"duration\": \"720h\"}.", detail{Type: "body", Message: err.Error()})
		return
	}
	d, err := parseAdvance(body.Duration)
	if err != nil {
		jsonError(c, http.StatusBadRequest, err.Error(), detail{Type: "field", Field: "duration", Message: err.Error()})
		return
	}
	steps, err := h.advance(c, d)
	if err != nil {
		h.Log.Error("test clock: worker", "err", err, "request_id", RequestID(c))
		jsonError(c, http.StatusInternalServerError, advanceFailure(err))
		return
	}
	c.JSON(http.StatusOK, gin.H{"now": h.Billing.Now().Format(time.RFC3339), "steps_applied": steps})
}

// TestClockPage is the managers' form for the test clock.
func (h *Handlers) TestClockPage(c *gin.Context) {
	h.renderTestClock(c, http.StatusOK, nil, "")
}

// TestClockAdvance moves the clock from the managers' form.
func (h *Handlers) TestClockAdvance(c *gin.Context) {
	input := c.PostForm("duration")
	d, err := parseAdvance(input)
	if err != nil {
		h.renderTestClock(c, http.StatusBadRequest, &views.Flash{Kind: "error", Message: err.Error()}, input)
		return
	}
	steps, err := h.advance(c, d)
	if err != nil {
		h.Log.Error("test clock: worker", "err", err, "request_id", RequestID(c))
		h.renderTestClock(c, http.StatusInternalServerError, &views.Flash{Kind: "error", Message: advanceFailure(err)}, input)
		return
	}
	msg := fmt.Sprintf("Billing time moved forward %s (%s); %d lifecycle steps applied.", d, inDays(d), steps)
	h.renderTestClock(c, http.StatusOK, &views.Flash{Kind: "success", Message: msg}, "")
}

func (h *Handlers) renderTestClock(c *gin.Context, status int, flash *views.Flash, input string) {
	p := views.TestClockPage{Page: h.basePage(c, "Test clock"), Now: h.Billing.Now().Format("2 January 2006, 15:04 UTC"),
		Available: h.TestClock != nil, Duration: input}
	p.Nav, p.Flash = "test-clock", flash
	h.render(c, status, views.TestClock(p))
}

// inDays writes a duration in days and hours, as people count billing time.
func inDays(d time.Duration) string {
	days, hours := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	switch {
	case days == 0:
		return fmt.Sprintf("%d hours", hours)
	case hours == 0 && days == 1:
		return "1 day"
	case hours == 0:
		return fmt.Sprintf("%d days", days)
	}
	return fmt.Sprintf("%d days %d hours", days, hours)
}
