package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/billingportal/portal/app"
	"github.com/billingportal/portal/apptest"
	"github.com/billingportal/portal/clock"
	"github.com/billingportal/portal/handlers"
)

var (
	specOnce   sync.Once
	specRouter routers.Router
	specErr    error
)

// spec loads the served OpenAPI document once and validates it.
func spec(t *testing.T) routers.Router {
	t.Helper()
	specOnce.Do(func() {
		doc, err := openapi3.NewLoader().LoadFromData(handlers.OpenAPIDocument())
		if err == nil {
			err = doc.Validate(context.Background())
		}
		if err == nil {
			doc.Servers = nil // match whatever host the test server has
			specRouter, err = legacy.NewRouter(doc)
		}
		specErr = err
	})
	if specErr != nil {
		t.Fatalf("openapi.json: %v", specErr)
	}
	return specRouter
}

// apiClient calls the JSON API with a bearer token and checks every
// response against the OpenAPI document.
type apiClient struct {
	t     *testing.T
	c     *apptest.Client
	token string
}

func newAPI(t *testing.T, srv *apptest.Server, token string) *apiClient {
	return &apiClient{t: t, c: srv.NewClient(t), token: token}
}

func (a *apiClient) call(method, path, body string, header ...string) apptest.Response {
	a.t.Helper()
	h := append([]string{"Content-Type", "application/json"}, header...)
	if a.token != "" {
		h = append(h, "Authorization", "Bearer "+a.token)
	}
	r := a.c.Raw(method, path, body, h...)
	a.checkSpec(r)
	return r
}

func (a *apiClient) checkSpec(r apptest.Response) {
	a.t.Helper()
	route, params, err := spec(a.t).FindRoute(r.Request)
	if err != nil {
		a.t.Errorf("%s %s is not in openapi.json: %v", r.Request.Method, r.Request.URL.Path, err)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r.Request, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status: r.StatusCode, Header: r.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}
	in.SetBodyBytes([]byte(r.Body))
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		a.t.Errorf("%s %s answered %d outside openapi.json: %v\n%s", r.Request.Method, r.Request.URL.Path, r.StatusCode, err, snippet(r.Body))
	}
}

func decode(t *testing.T, r apptest.Response) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		t.Fatalf("%s: not JSON: %s", r.Request.URL.Path, snippet(r.Body))
	}
	return m
}

// field walks a decoded JSON object by dotted path.
func field(m map[string]any, path string) any {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = o[k]
	}
	return v
}

func wantAPI(t *testing.T, r apptest.Response, status int, message string) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s %s = %d, want %d: %s", r.Request.Method, r.Request.URL.Path, r.StatusCode, status, snippet(r.Body))
	}
	if message != "" && !strings.Contains(r.Body, message) {
		t.Fatalf("%s %s body lacks %q: %s", r.Request.Method, r.Request.URL.Path, message, snippet(r.Body))
	}
}

func startAPI(t *testing.T, modify ...func(*app.Config)) *apptest.Server {
	return apptest.Start(t, append([]func(*app.Config){func(c *app.Config) { c.APIKey = serverKey }}, modify...)...)
}

// personalToken creates a token for email through the tokens page.
func personalToken(t *testing.T, srv *apptest.Server, email string) string {
	t.Helper()
	c := srv.NewClient(t)
	c.Login(email)
	r := c.Post("/settings/api-tokens", url.Values{"name": {"test script"}})
	wantStatus(t, r, http.StatusOK)
	i := strings.Index(r.Body, `value="bp_`)
	if i < 0 {
		t.Fatalf("new token not shown: %s", snippet(r.Body))
	}
	rest := r.Body[i+len(`value="`):]
	return rest[:strings.Index(rest, `"`)]
}

func TestAPIAuthentication(t *testing.T) {
	srv := startAPI(t)
	for _, token := range []string{"", "nonsense", "bp_forged", serverKey + "x"} {
		r := newAPI(t, srv, token).call(http.MethodGet, "/api/v1/plans", "")
		wantAPI(t, r, http.StatusUnauthorized, `"code":401`)
	}
	// A browser session is no key to the API.
	c := srv.NewClient(t)
	c.Login("alice@example.com")
	wantStatus(t, c.Get("/api/v1/plans"), http.StatusUnauthorized)

	plans := decode(t, newAPI(t, srv, serverKey).call(http.MethodGet, "/api/v1/plans", ""))
	if data := plans["data"].([]any); len(data) != 7 || field(data[3].(map[string]any), "id") != "pro-monthly" {
		t.Fatalf("plans: %v", plans)
	}
}

func TestAPIPersonalTokens(t *testing.T) {
	srv := startAPI(t)
	token := personalToken(t, srv, "alice@example.com")
	alice := newAPI(t, srv, token)
	r := alice.call(http.MethodGet, "/api/v1/profile/subscriptions/current", "")
	wantAPI(t, r, http.StatusOK, `"plan_name":"Free"`)
	bob := fmt.Sprint(userID(t, srv, "bob@example.com"))
	wantAPI(t, alice.call(http.MethodGet, "/api/v1/profile/subscriptions/current?userId="+bob, ""), http.StatusForbidden, "")
	wantAPI(t, alice.call(http.MethodGet, "/api/v1/users?email=bob@example.com", ""), http.StatusForbidden, "")
	wantAPI(t, alice.call(http.MethodPost, "/api/v1/portal/sessions", `{"email":"x@example.com"}`), http.StatusForbidden, "server key")

	// The page lists it once; revoking it stops it.
	c := srv.NewClient(t)
	c.Login("alice@example.com")
	page := c.Get("/settings/api-tokens")
	wantBody(t, page, "test script", "Revoke test script")
	if strings.Contains(page.Body, token) {
		t.Fatal("the token is shown again after creation")
	}
	revoke := page.Body[strings.Index(page.Body, `action="/settings/api-tokens/`)+len(`action="`):]
	revoke = revoke[:strings.Index(revoke, `"`)]
	wantRedirect(t, c.Post(revoke, nil), "/settings/api-tokens")
	wantAPI(t, alice.call(http.MethodGet, "/api/v1/plans", ""), http.StatusUnauthorized, "")
	wantStatus(t, c.Post("/settings/api-tokens", url.Values{"name": {""}}), http.StatusBadRequest)
}

func TestAPITokensAreOffLimitsWhileImpersonating(t *testing.T) {
	srv := startAPI(t)
	m := managerClient(t, srv)
	wantRedirect(t, impersonate(t, m, userID(t, srv, "bob@example.com"), "help"), "/subscription")
	wantStatus(t, m.Get("/settings/api-tokens"), http.StatusForbidden)
	wantStatus(t, m.Post("/settings/api-tokens", url.Values{"name": {"sneaky"}}), http.StatusForbidden)
}

func TestAPPExpertsChange(t *testing.T) {
	srv := startAPI(t)
	alice := newAPI(t, srv, personalToken(t, srv, "alice@example.com"))
	// The document's own example request, with a real plan id.
	r := alice.call(http.MethodPost, "/api/v1/profile/subscriptions/change", `{"subscriptionPlan": "pro-annual"}`)
	wantAPI(t, r, http.StatusOK, `"code":200`)
	m := decode(t, r)
	if id, _ := field(m, "data.session_id").(string); !strings.HasPrefix(id, "cs_") {
		t.Fatalf("session_id = %v", field(m, "data.session_id"))
	}
	if u, _ := field(m, "data.payment_url").(string); !strings.Contains(u, "/sandbox/checkout/") {
		t.Fatalf("payment_url = %v", field(m, "data.payment_url"))
	}
	for _, f := range []string{"is_expired", "is_period_expired", "id", "is_current", "start_date", "end_date", "expected_end_date",
		"cancel_at_period_end", "subscription_plan.id", "subscription_plan.plan_name", "subscription_plan.recurring_type",
		"subscription_plan.amount", "subscription_plan.is_default", "subscription_plan.subscription_product.id",
		"subscription_plan.subscription_product.name", "subscription_plan.subscription_product.max_allowed_apps",
		"subscription_plan.subscription_product.description", "subscription_plan.subscription_product.watermark",
		"subscription_plan.subscription_product.features"} {
		if _, ok := field(m, "data.current_subscription").(map[string]any)[strings.Split(f, ".")[0]]; !ok {
			t.Errorf("current_subscription lacks %s", f)
		}
	}
	// Nothing due: scheduled, with null checkout fields and a message saying when.
	bob := newAPI(t, srv, personalToken(t, srv, "bob@example.com"))
	s := decode(t, bob.call(http.MethodPost, "/api/v1/profile/subscriptions/change", `{"subscriptionPlan":"starter-monthly"}`))
	if field(s, "data.session_id") != nil || field(s, "data.payment_url") != nil || !strings.Contains(field(s, "message").(string), "Scheduled") {
		t.Fatalf("scheduled change answer: %v", s)
	}
	if field(s, "data.current_subscription.scheduled_change.plan_id") != "starter-monthly" {
		t.Fatalf("scheduled change not shown: %v", s)
	}
}

func TestAPIErrors(t *testing.T) {
	srv := startAPI(t)
	bob := newAPI(t, srv, personalToken(t, srv, "bob@example.com"))
	change := "/api/v1/profile/subscriptions/change"
	cases := []struct {
		name, body string
		status     int
		message    string
	}{
		{"malformed JSON", `{"subscriptionPlan":`, 400, "not valid JSON"},
		{"empty body", ``, 400, "body is empty"},
		{"unknown field", `{"subscriptionPlan":"pro-annual","price":1}`, 400, `Unknown field \"price\"`},
		{"wrong type", `{"subscriptionPlan":42}`, 400, "subscriptionPlan must be a string"},
		{"wrong type bool", `{"subscriptionPlan":"pro-annual","immediate":"yes"}`, 400, "immediate must be true or false"},
		{"missing plan", `{}`, 400, "subscriptionPlan is required"},
		{"unknown plan", `{"subscriptionPlan":"gold"}`, 400, "There is no plan called"},
		{"same plan", `{"subscriptionPlan":"pro-monthly"}`, 400, "already on Pro Monthly"},
		{"policy forbids", `{"subscriptionPlan":"starter-monthly","immediate":true}`, 400, "cannot take effect today"},
		{"two objects", `{"subscriptionPlan":"free"}{}`, 400, "one JSON object"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := bob.call(http.MethodPost, change, c.body)
			wantAPI(t, r, c.status, c.message)
			if m := decode(t, r); field(m, "code") != float64(c.status) {
				t.Fatalf("code field %v", field(m, "code"))
			}
		})
	}
	carol := newAPI(t, srv, personalToken(t, srv, "carol@example.com"))
	wantAPI(t, carol.call(http.MethodPost, change, `{"subscriptionPlan":"pro-monthly"}`), http.StatusConflict, "overdue")
	wantAPI(t, bob.call(http.MethodPost, "/api/v1/subscriptions/999999/change", `{"plan_change":{"plan":"free"}}`), http.StatusNotFound, "")

	// A checkout open for one change makes another change conflict.
	alice := newAPI(t, srv, personalToken(t, srv, "alice@example.com"))
	wantAPI(t, alice.call(http.MethodPost, change, `{"subscriptionPlan":"pro-monthly"}`), http.StatusOK, "")
	wantAPI(t, alice.call(http.MethodPost, change, `{"subscriptionPlan":"business-monthly"}`), http.StatusConflict, "A checkout for another change")
	wantAPI(t, alice.call(http.MethodPost, change, `{"subscriptionPlan":"pro-monthly"}`), http.StatusOK, "") // the same change again is fine
	if len(openCheckouts(t, srv, "alice@example.com")) != 1 {
		t.Fatal("the conflict changed the open checkouts")
	}
	if subscription(t, srv, "bob@example.com").Plan.ID != "pro-monthly" {
		t.Fatal("a rejected API call changed bob's plan")
	}
}

func TestLeadpingChangeBillingPlan(t *testing.T) {
	srv := startAPI(t)
	server := newAPI(t, srv, serverKey)
	bob := fmt.Sprint(userID(t, srv, "bob@example.com"))
	path := "/api/v1/users/change-billing-plan"
	// The document's own example request names only the user.
	wantAPI(t, server.call(http.MethodPut, path, `{"userId": "`+bob+`"}`), http.StatusBadRequest, "billingPlan is required")
	wantAPI(t, server.call(http.MethodPut, path, `{"billingPlan":"Weekly","userId":"`+bob+`"}`), http.StatusBadRequest, "Annual")
	wantAPI(t, server.call(http.MethodPut, path, `{"billingPlan":"Annual"}`), http.StatusBadRequest, "userId is required")
	wantAPI(t, server.call(http.MethodPut, path, `{"billingPlan":"Annual","userId":"999999"}`), http.StatusNotFound, "")
	wantAPI(t, server.call(http.MethodPut, path, `{"billingPlan":"Monthly","userId":"`+bob+`"}`), http.StatusBadRequest, "already billed monthly")

	r := server.call(http.MethodPut, path, `{"billingPlan":"Annual","userId":"`+bob+`"}`)
	wantAPI(t, r, http.StatusOK, "")
	m := decode(t, r)
	if field(m, "id") != bob || field(m, "billingPlan") != "Monthly" || field(m, "subscriptionStatus") != "Active" {
		t.Fatalf("user after asking for Annual (payment due): %v", m)
	}
	if u, _ := field(m, "checkout.payment_url").(string); !strings.Contains(u, "/sandbox/checkout/") {
		t.Fatalf("no checkout in %v", m)
	}
	// Another customer's token may not name bob; a manager's may.
	alice := newAPI(t, srv, personalToken(t, srv, "alice@example.com"))
	wantAPI(t, alice.call(http.MethodPut, path, `{"billingPlan":"Annual","userId":"`+bob+`"}`), http.StatusForbidden, "")
	alicesOwn := alice.call(http.MethodPut, path, `{"billingPlan":"Annual"}`)
	wantAPI(t, alicesOwn, http.StatusConflict, "free plan")

	carol := fmt.Sprint(userID(t, srv, "carol@example.com"))
	u := decode(t, server.call(http.MethodGet, "/api/v1/users?email=carol@example.com", ""))
	user := u["data"].([]any)[0].(map[string]any)
	if user["id"] != carol || field(user, "stripeInfo.dunning.stage") == nil || user["subscriptionStatus"] != "Overdue" {
		t.Fatalf("carol as a Leadping user: %v", user)
	}
	d := decode(t, server.call(http.MethodGet, "/api/v1/users?email=dave@example.com", ""))
	if field(d["data"].([]any)[0].(map[string]any), "stripeInfo.cancellation.reasonCode") != "too_expensive" {
		t.Fatalf("dave's cancellation: %v", d)
	}
	wantAPI(t, server.call(http.MethodGet, "/api/v1/users", ""), http.StatusBadRequest, "email")
}

func TestFrontierPhaseChange(t *testing.T) {
	// A stopped clock: asking twice for the same immediate change must
	// return the same checkout, and a prorated amount moves every second
	// (under -race on a busy machine the two calls can be a second apart).
	srv := startAPI(t, func(c *app.Config) { c.Wall = clock.NewFixed(time.Now()) })
	bobToken := newAPI(t, srv, personalToken(t, srv, "bob@example.com"))
	sub := subscription(t, srv, "bob@example.com")
	path := fmt.Sprintf("/api/v1/subscriptions/%d/change", sub.ID)

	wantAPI(t, bobToken.call(http.MethodPost, path, `{}`), http.StatusBadRequest, "exactly one of plan_change or phase_change")
	wantAPI(t, bobToken.call(http.MethodPost, path, `{"plan_change":{"plan":"free"},"phase_change":{"cancel_upcoming_changes":true}}`),
		http.StatusBadRequest, "exactly one")

	r := bobToken.call(http.MethodPost, path, `{"plan_change": {"plan": "starter-monthly", "immediate": false}}`)
	wantAPI(t, r, http.StatusOK, `"plan_id":"starter-monthly"`)
	if eff := field(decode(t, r), "phase.effective_at"); eff != sub.PeriodEnd.Format(time.RFC3339) {
		t.Fatalf("effective_at %v, want the period end %s", eff, sub.PeriodEnd.Format(time.RFC3339))
	}
	wantAPI(t, bobToken.call(http.MethodPost, path, `{"phase_change": {"cancel_upcoming_changes": true}}`), http.StatusOK, `"plan_id":"pro-monthly"`)
	if _, ok, _ := srv.App.Billing.ScheduledChange(context.Background(), sub.UserID); ok {
		t.Fatal("cancel_upcoming_changes left the scheduled change")
	}
	wantAPI(t, bobToken.call(http.MethodPost, path, `{"phase_change": {"cancel_upcoming_changes": true}}`), http.StatusConflict, "no scheduled change")

	up := bobToken.call(http.MethodPost, path, `{"plan_change": {"plan": "business-monthly", "immediate": true}}`)
	wantAPI(t, up, http.StatusOK, `"checkout"`)
	// The deprecated top-level fields still work.
	wantAPI(t, bobToken.call(http.MethodPost, path, `{"plan": "business-monthly", "immediate": true}`), http.StatusOK, `"checkout"`)

	// Another customer's subscription is not found for a customer token.
	alice := newAPI(t, srv, personalToken(t, srv, "alice@example.com"))
	wantAPI(t, alice.call(http.MethodPost, path, `{"phase_change":{"cancel_upcoming_changes":true}}`), http.StatusNotFound, "")
}

func TestIdempotencyKey(t *testing.T) {
	srv := startAPI(t)
	alice := newAPI(t, srv, personalToken(t, srv, "alice@example.com"))
	path := "/api/v1/profile/subscriptions/change"
	first := alice.call(http.MethodPost, path, `{"subscriptionPlan":"pro-monthly"}`, "Idempotency-Key", "k-1")
	again := alice.call(http.MethodPost, path, `{"subscriptionPlan":"pro-monthly"}`, "Idempotency-Key", "k-1")
	if first.Body != again.Body || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay differs:\n%s\n%s", first.Body, again.Body)
	}
	wantAPI(t, alice.call(http.MethodPost, path, `{"subscriptionPlan":"pro-annual"}`, "Idempotency-Key", "k-1"), http.StatusUnprocessableEntity, "different request")
	// Keys belong to their caller.
	bob := newAPI(t, srv, personalToken(t, srv, "bob@example.com"))
	wantAPI(t, bob.call(http.MethodPost, path, `{"subscriptionPlan":"pro-monthly"}`, "Idempotency-Key", "k-1"), http.StatusBadRequest, "already on")
	wantAPI(t, alice.call(http.MethodPost, path, `{}`, "Idempotency-Key", strings.Repeat("k", 256)), http.StatusBadRequest, "255")
}

func TestPortalLinks(t *testing.T) {
	wall := newWall()
	srv := startAPI(t, wall.configure, func(c *app.Config) { c.EmbedOrigins = []string{"http://localhost:9999"} })
	server := newAPI(t, srv, serverKey)
	path := "/api/v1/portal/sessions"
	wantAPI(t, server.call(http.MethodPost, path, `{"name":"No Email"}`), http.StatusBadRequest, "email is required")
	wantAPI(t, server.call(http.MethodPost, path, `{"email":"new@example.com","return_url":"https://evil.example/"}`), http.StatusBadRequest, "return_url")
	r := server.call(http.MethodPost, path, `{"email":"New.Customer@Example.com","name":"New Customer","return_url":"http://localhost:9999/account"}`)
	wantAPI(t, r, http.StatusOK, `"url"`)
	m := decode(t, r)
	link, _ := url.Parse(m["url"].(string))
	if !strings.HasPrefix(link.Path, "/portal/pl_") {
		t.Fatalf("link %v", m["url"])
	}
	sub := subscription(t, srv, "new.customer@example.com")
	if sub.Plan.ID != "free" || fmt.Sprint(sub.UserID) != m["user_id"] {
		t.Fatalf("new customer: %+v %v", sub, m)
	}

	c := srv.NewClient(t)
	wantRedirect(t, c.Get(link.Path), "/subscription")
	wantBody(t, c.Get("/subscription"), "new.customer@example.com", "Free")
	wantStatus(t, srv.NewClient(t).Get(link.Path), http.StatusGone) // used once

	// Links expire after five minutes, used or not.
	late := decode(t, server.call(http.MethodPost, path, `{"email":"bob@example.com"}`))
	wall.Advance(6 * time.Minute)
	lateURL, _ := url.Parse(late["url"].(string))
	wantStatus(t, srv.NewClient(t).Get(lateURL.Path), http.StatusGone)

	// Managers cannot be signed in by link.
	wantAPI(t, server.call(http.MethodPost, path, `{"email":"manager@example.com"}`), http.StatusForbidden, "")
	wantStatus(t, srv.NewClient(t).Get("/portal/pl_nonsense"), http.StatusGone)
}

func TestOpenAPIDocumentIsServed(t *testing.T) {
	srv := startAPI(t)
	r := srv.NewClient(t).Get("/api/openapi.json")
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r, `"openapi": "3.0.3"`, "/api/v1/users/change-billing-plan")
	spec(t)
}
