// Package stripefake is an in-process stand-in for Stripe, for tests. Unlike
// stripe-mock it keeps state: customers, Checkout Sessions, PaymentIntents
// and saved cards live until the test ends, idempotency keys answer as
// Stripe's do, hosted pages can be paid, and every change produces the
// event Stripe would send, signed with stripe-go's
// webhook.GenerateTestSignedPayload. Events are sent to WebhookURL when it
// is set, or kept for the test to deliver in any order, any number of times.
package stripefake

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	stripego "github.com/stripe/stripe-go/v86"
	"github.com/stripe/stripe-go/v86/webhook"
)

// Test cards, by their last four digits, as Stripe's test cards behave.
const (
	CardWorks     = "4242" // every charge succeeds
	CardDeclines  = "0002" // declined, at checkout and off-session
	CardNeeds3DS  = "3155" // pays at checkout (the customer is there); off-session charges need authentication
	CardAsync     = "0077" // off-session charges stay processing until Settle (a delayed payment method)
	SecretKey     = "sk_test_fakefakefake1234"
	WebhookSecret = "whsec_fakefakefake1234"
)

// Event is a signed event as Stripe sends it.
type Event struct {
	ID     string
	Type   string
	Body   []byte
	Header http.Header // carries Stripe-Signature
}

// Server is the fake Stripe.
type Server struct {
	URL        string
	WebhookURL string // when set, events are POSTed here as they happen

	mu        sync.Mutex
	srv       *httptest.Server
	seq       int
	customers map[string]*customer
	sessions  map[string]*session
	intents   map[string]*intent
	methods   map[string]*method
	idem      map[string]cached
	pending   []Event
	taken     int64
	Calls     map[string]int // requests per "METHOD /path-pattern"
	Delivered []int          // the portal's answers to events sent to WebhookURL
}

type customer struct {
	ID, Email string
	Metadata  map[string]string
}

type session struct {
	ID, Mode, Customer, ClientRef, Status, PaymentStatus, Currency, Intent string
	SuccessURL, CancelURL, Description                                     string
	Amount, ExpiresAt                                                      int64
	Metadata, IntentMetadata                                               map[string]string
}

type intent struct {
	ID, Customer, Method, Currency, Status, Reason string
	Amount, Received, Refunded                     int64
	Metadata                                       map[string]string
}

type method struct {
	ID, Customer, Last4 string
}

type cached struct {
	params string
	status int
	body   []byte
}

// New starts a fake Stripe until the test ends.
func New(t interface{ Cleanup(func()) }) *Server {
	s := &Server{customers: map[string]*customer{}, sessions: map[string]*session{}, intents: map[string]*intent{},
		methods: map[string]*method{}, idem: map[string]cached{}, Calls: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/customers", s.api(s.createCustomer))
	mux.HandleFunc("POST /v1/customers/{id}", s.api(s.updateCustomer))
	mux.HandleFunc("POST /v1/checkout/sessions", s.api(s.createSession))
	mux.HandleFunc("GET /v1/checkout/sessions/{id}", s.api(s.getSession))
	mux.HandleFunc("POST /v1/checkout/sessions/{id}/expire", s.api(s.expireSession))
	mux.HandleFunc("POST /v1/payment_intents", s.api(s.createIntent))
	mux.HandleFunc("GET /pay/{id}", s.page)
	mux.HandleFunc("POST /pay/{id}", s.submitPage)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

func (s *Server) id(prefix string) string {
	s.seq++
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s_%d%s", prefix, s.seq, hex.EncodeToString(b))
}

// apiError is Stripe's error shape.
type apiError struct {
	status int
	body   map[string]any
}

func invalid(param, msg string) *apiError {
	return &apiError{http.StatusBadRequest, map[string]any{"type": "invalid_request_error", "param": param, "message": msg}}
}

// api wraps an endpoint: the key is checked, idempotency keys replay the
// first answer (and refuse other parameters), and answers are JSON.
func (s *Server) api(fn func(r *http.Request) (any, *apiError)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+SecretKey {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]any{"type": "invalid_request_error", "message": "Invalid API Key provided"}})
			return
		}
		_ = r.ParseForm()
		s.mu.Lock()
		defer s.mu.Unlock()
		s.Calls[r.Method+" "+r.Pattern[strings.Index(r.Pattern, " ")+1:]]++
		key := r.Header.Get("Idempotency-Key")
		params := r.PostForm.Encode()
		if key != "" && r.Method == http.MethodPost {
			if c, ok := s.idem[key]; ok {
				if c.params != params {
					writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"type": "idempotency_error",
						"message": "Keys for idempotent requests can only be used with the same parameters they were first used with."}})
					return
				}
				w.Header().Set("Idempotent-Replayed", "true")
				writeRaw(w, c.status, c.body)
				return
			}
		}
		obj, aerr := fn(r)
		status, payload := http.StatusOK, any(obj)
		if aerr != nil {
			status, payload = aerr.status, map[string]any{"error": aerr.body}
		}
		body, _ := json.Marshal(payload)
		if key != "" && r.Method == http.MethodPost {
			s.idem[key] = cached{params: params, status: status, body: body}
		}
		writeRaw(w, status, body)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	writeRaw(w, status, b)
}

func writeRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// metadata reads metadata[key]=value fields under prefix.
func metadata(r *http.Request, prefix string) map[string]string {
	m := map[string]string{}
	for k, v := range r.PostForm {
		if rest, ok := strings.CutPrefix(k, prefix+"["); ok && strings.HasSuffix(rest, "]") {
			m[strings.TrimSuffix(rest, "]")] = v[0]
		}
	}
	return m
}

func (s *Server) createCustomer(r *http.Request) (any, *apiError) {
	c := &customer{ID: s.id("cus"), Email: r.PostForm.Get("email"), Metadata: metadata(r, "metadata")}
	s.customers[c.ID] = c
	return customerJSON(c), nil
}

func (s *Server) updateCustomer(r *http.Request) (any, *apiError) {
	c, ok := s.customers[r.PathValue("id")]
	if !ok {
		return nil, &apiError{http.StatusNotFound, map[string]any{"type": "invalid_request_error", "message": "No such customer"}}
	}
	if e := r.PostForm.Get("email"); e != "" {
		c.Email = e
	}
	return customerJSON(c), nil
}

func customerJSON(c *customer) map[string]any {
	return map[string]any{"id": c.ID, "object": "customer", "email": c.Email, "metadata": c.Metadata}
}

func (s *Server) createSession(r *http.Request) (any, *apiError) {
	f := r.PostForm
	ss := &session{ID: s.id("cs_test"), Mode: f.Get("mode"), Customer: f.Get("customer"), ClientRef: f.Get("client_reference_id"),
		Status: "open", PaymentStatus: "unpaid", SuccessURL: f.Get("success_url"), CancelURL: f.Get("cancel_url"),
		Metadata: metadata(r, "metadata"), IntentMetadata: metadata(r, "payment_intent_data[metadata]")}
	if _, ok := s.customers[ss.Customer]; !ok {
		return nil, invalid("customer", "No such customer: '"+ss.Customer+"'")
	}
	exp, err := strconv.ParseInt(f.Get("expires_at"), 10, 64)
	now := time.Now().Unix()
	if err != nil || exp < now+30*60 || exp > now+24*3600 {
		return nil, invalid("expires_at", "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.")
	}
	ss.ExpiresAt = exp
	switch ss.Mode {
	case "payment":
		amount, err1 := strconv.ParseInt(f.Get("line_items[0][price_data][unit_amount]"), 10, 64)
		qty, err2 := strconv.ParseInt(f.Get("line_items[0][quantity]"), 10, 64)
		if err1 != nil || err2 != nil || amount <= 0 || qty != 1 || f.Get("line_items[0][price_data][currency]") == "" {
			return nil, invalid("line_items", "one line item with a positive unit_amount, a currency and quantity 1")
		}
		if f.Get("payment_intent_data[setup_future_usage]") != "off_session" {
			return nil, invalid("payment_intent_data[setup_future_usage]", "the portal saves the card for renewals")
		}
		ss.Amount, ss.Currency = amount, f.Get("line_items[0][price_data][currency]")
		ss.Description = f.Get("line_items[0][price_data][product_data][name]")
	case "setup":
		ss.Currency = f.Get("currency")
	default:
		return nil, invalid("mode", "mode must be payment or setup here")
	}
	s.sessions[ss.ID] = ss
	return s.sessionJSON(ss), nil
}

func (s *Server) sessionJSON(ss *session) map[string]any {
	m := map[string]any{"id": ss.ID, "object": "checkout.session", "mode": ss.Mode, "status": ss.Status,
		"payment_status": ss.PaymentStatus, "url": s.URL + "/pay/" + ss.ID, "client_reference_id": ss.ClientRef,
		"customer": ss.Customer, "amount_total": ss.Amount, "currency": ss.Currency, "metadata": ss.Metadata,
		"expires_at": ss.ExpiresAt, "success_url": ss.SuccessURL, "payment_intent": nil, "livemode": false}
	if ss.Intent != "" {
		m["payment_intent"] = ss.Intent
	}
	if ss.Status != "open" {
		m["url"] = nil
	}
	return m
}

func (s *Server) getSession(r *http.Request) (any, *apiError) {
	ss, ok := s.sessions[r.PathValue("id")]
	if !ok {
		return nil, &apiError{http.StatusNotFound, map[string]any{"type": "invalid_request_error", "message": "No such checkout.session"}}
	}
	return s.sessionJSON(ss), nil
}

func (s *Server) expireSession(r *http.Request) (any, *apiError) {
	ss, ok := s.sessions[r.PathValue("id")]
	switch {
	case !ok:
		return nil, &apiError{http.StatusNotFound, map[string]any{"type": "invalid_request_error", "message": "No such checkout.session"}}
	case ss.Status != "open":
		return nil, invalid("", `Only Checkout Sessions with a status in ["open"] can be expired.`)
	}
	ss.Status = "expired"
	s.emit("checkout.session.expired", s.sessionJSON(ss))
	return s.sessionJSON(ss), nil
}

func (s *Server) createIntent(r *http.Request) (any, *apiError) {
	f := r.PostForm
	amount, err := strconv.ParseInt(f.Get("amount"), 10, 64)
	if err != nil || amount <= 0 || f.Get("currency") == "" {
		return nil, invalid("amount", "amount and currency are required")
	}
	if f.Get("confirm") != "true" || f.Get("off_session") != "true" {
		return nil, invalid("off_session", "renewals are confirmed off-session")
	}
	pm, ok := s.methods[f.Get("payment_method")]
	if !ok || pm.Customer != f.Get("customer") {
		return nil, invalid("payment_method", "No such PaymentMethod for this customer")
	}
	pi := &intent{ID: s.id("pi"), Customer: pm.Customer, Method: pm.ID, Currency: f.Get("currency"), Amount: amount,
		Metadata: metadata(r, "metadata")}
	s.intents[pi.ID] = pi
	switch pm.Last4 {
	case CardDeclines:
		pi.Status, pi.Reason = "requires_payment_method", "Your card was declined."
		s.emit("payment_intent.payment_failed", s.intentJSON(pi))
		return nil, s.cardError(pi, "card_declined")
	case CardNeeds3DS:
		pi.Status, pi.Reason = "requires_payment_method", "This payment requires authentication."
		s.emit("payment_intent.payment_failed", s.intentJSON(pi))
		return nil, s.cardError(pi, "authentication_required")
	case CardAsync:
		pi.Status = "processing"
		return s.intentJSON(pi), nil
	}
	s.succeed(pi)
	return s.intentJSON(pi), nil
}

func (s *Server) cardError(pi *intent, code string) *apiError {
	return &apiError{http.StatusPaymentRequired, map[string]any{"type": "card_error", "code": code, "decline_code": "generic_decline",
		"message": pi.Reason, "payment_intent": s.intentJSON(pi)}}
}

// succeed takes the money of a PaymentIntent and says so.
func (s *Server) succeed(pi *intent) {
	pi.Status, pi.Received = "succeeded", pi.Amount
	s.taken += pi.Amount
	s.emit("payment_intent.succeeded", s.intentJSON(pi))
	s.emit("charge.succeeded", s.chargeJSON(pi))
}

func (s *Server) intentJSON(pi *intent) map[string]any {
	m := map[string]any{"id": pi.ID, "object": "payment_intent", "amount": pi.Amount, "amount_received": pi.Received,
		"currency": pi.Currency, "customer": pi.Customer, "payment_method": pi.Method, "status": pi.Status, "metadata": pi.Metadata,
		"last_payment_error": nil, "livemode": false}
	if pi.Reason != "" {
		m["last_payment_error"] = map[string]any{"type": "card_error", "message": pi.Reason, "decline_code": "generic_decline"}
	}
	return m
}

func (s *Server) chargeJSON(pi *intent) map[string]any {
	return map[string]any{"id": "ch_" + strings.TrimPrefix(pi.ID, "pi_"), "object": "charge", "amount": pi.Amount,
		"amount_refunded": pi.Refunded, "currency": pi.Currency, "customer": pi.Customer, "payment_intent": pi.ID,
		"refunded": pi.Refunded >= pi.Amount, "paid": true, "status": "succeeded"}
}

// emit signs an event about obj and sends or keeps it.
func (s *Server) emit(typ string, obj any) Event {
	ev := s.sign(s.id("evt"), typ, obj)
	if s.WebhookURL == "" {
		s.pending = append(s.pending, ev)
		return ev
	}
	req, _ := http.NewRequest(http.MethodPost, s.WebhookURL, bytes.NewReader(ev.Body))
	req.Header = ev.Header.Clone()
	req.Header.Set("Content-Type", "application/json")
	status := 0
	if resp, err := http.DefaultClient.Do(req); err == nil {
		status = resp.StatusCode
		resp.Body.Close()
	}
	s.Delivered = append(s.Delivered, status)
	return ev
}

func (s *Server) sign(id, typ string, obj any) Event {
	body, _ := json.Marshal(map[string]any{"id": id, "object": "event", "api_version": stripego.APIVersion, "type": typ,
		"created": time.Now().Unix(), "livemode": false, "pending_webhooks": 1, "data": map[string]any{"object": obj}})
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: WebhookSecret, Timestamp: time.Now()})
	h := http.Header{}
	h.Set("Stripe-Signature", signed.Header)
	return Event{ID: id, Type: typ, Body: body, Header: h}
}

// Sign signs an event of any type about obj, for tests of what the portal
// does with events it did not expect. It is neither sent nor kept.
func (s *Server) Sign(typ string, obj any) Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sign(s.id("evt"), typ, obj)
}

// TakeEvents returns the events kept since the last call, oldest first.
func (s *Server) TakeEvents() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.pending
	s.pending = nil
	return out
}

// ErrNotOpen is a hosted page that can no longer be used.
var ErrNotOpen = fmt.Errorf("stripefake: the checkout session is not open")

// ErrDeclined is a card declined on the hosted page: the session stays
// open, as Stripe's does, and the customer may try another card.
var ErrDeclined = fmt.Errorf("stripefake: your card was declined")

// Complete is the customer finishing the hosted page with card (its last
// four digits): a payment takes the money and saves the card for later;
// a setup saves the card. The events follow.
func (s *Server) Complete(id, card string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.sessions[id]
	if !ok || ss.Status != "open" || time.Now().Unix() >= ss.ExpiresAt {
		return ErrNotOpen
	}
	if card == CardDeclines && ss.Mode == "payment" {
		return ErrDeclined
	}
	pm := &method{ID: s.id("pm"), Customer: ss.Customer, Last4: card}
	s.methods[pm.ID] = pm
	s.emit("payment_method.attached", s.methodJSON(pm))
	ss.Status = "complete"
	if ss.Mode == "payment" {
		pi := &intent{ID: s.id("pi"), Customer: ss.Customer, Method: pm.ID, Currency: ss.Currency, Amount: ss.Amount, Metadata: ss.IntentMetadata}
		s.intents[pi.ID] = pi
		ss.Intent, ss.PaymentStatus = pi.ID, "paid"
		s.succeed(pi)
	} else {
		ss.PaymentStatus = "no_payment_required"
	}
	s.emit("checkout.session.completed", s.sessionJSON(ss))
	return nil
}

func (s *Server) methodJSON(pm *method) map[string]any {
	return map[string]any{"id": pm.ID, "object": "payment_method", "type": "card", "customer": pm.Customer,
		"card": map[string]any{"brand": "visa", "last4": pm.Last4, "exp_month": 12, "exp_year": 2030, "country": "US"}}
}

// ExpireNow is Stripe expiring an open session at its expires_at.
func (s *Server) ExpireNow(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss, ok := s.sessions[id]; ok && ss.Status == "open" {
		ss.Status = "expired"
		s.emit("checkout.session.expired", s.sessionJSON(ss))
	}
}

// Settle ends a processing PaymentIntent: the money arrives, or not.
func (s *Server) Settle(piID string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pi := s.intents[piID]
	if pi == nil || pi.Status != "processing" {
		return
	}
	if ok {
		s.succeed(pi)
		return
	}
	pi.Status, pi.Reason = "requires_payment_method", "The bank returned the payment."
	s.emit("payment_intent.payment_failed", s.intentJSON(pi))
}

// Refund returns amount of a PaymentIntent's money to the card.
func (s *Server) Refund(piID string, amount int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	pi := s.intents[piID]
	if pi == nil || pi.Status != "succeeded" || pi.Refunded+amount > pi.Received {
		return fmt.Errorf("stripefake: cannot refund %d of %s", amount, piID)
	}
	pi.Refunded += amount
	s.emit("charge.refunded", s.chargeJSON(pi))
	return nil
}

// Taken is every amount Stripe took, refunds not deducted.
func (s *Server) Taken() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.taken
}

// Session returns a Checkout Session's status and PaymentIntent.
func (s *Server) Session(id string) (status, paymentIntent string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss, ok := s.sessions[id]; ok {
		return ss.Status, ss.Intent
	}
	return "", ""
}

// Intents lists PaymentIntents made off-session (with a portal charge key), by creation.
func (s *Server) Intents() []IntentInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []IntentInfo
	for _, pi := range s.intents {
		if pi.Metadata["portal_charge"] != "" {
			out = append(out, IntentInfo{ID: pi.ID, Key: pi.Metadata["portal_charge"], Amount: pi.Amount, Status: pi.Status, Card: s.methods[pi.Method].Last4})
		}
	}
	sort.Slice(out, func(i, j int) bool { return seqOf(out[i].ID) < seqOf(out[j].ID) })
	return out
}

// IntentInfo is what a test reads of a PaymentIntent.
type IntentInfo struct {
	ID, Key, Status, Card string
	Amount                int64
}

func seqOf(id string) int {
	rest := strings.TrimPrefix(id, "pi_")
	n := 0
	for _, r := range rest {
		if r < '0' || r > '9' {
			break
		}
		n = n*10 + int(r-'0')
	}
	return n
}

// Customer returns a customer's email.
func (s *Server) Customer(id string) (email string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.customers[id]
	if !ok {
		return "", false
	}
	return c.Email, true
}
